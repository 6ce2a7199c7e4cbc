//! Surveys, use cases (I385 §7.8): an author designs a survey (or copies an earlier one),
//! publishes it for its dates, corrects typos once it is answered (recorded), closes it early
//! if need be; the audience answers once. The server opens and closes surveys at their times
//! ([`run_due`]); until the job has run, every step reads the state the clock implies.
//!
//! Anonymity by construction follows the voting engine's secret ballots (see `store.rs`):
//! a response writes one row of who has answered and, apart, one row of answers under a
//! random key; its access-log entry names the survey only.

use serde::Deserialize;
use serde_json::json;

use super::model::*;
use super::store::{self, Response};
use crate::actor::{Actor, UserIdentity};
use crate::app::App;
use crate::auth::policy::{Action, Object, SurveyAction, require};
use crate::error::{Code, Error, Result};
use crate::notify::{self, Arg, Names, Notice};

pub(super) fn now() -> String {
    crate::clock::utc_string(crate::clock::now())
}

pub(super) fn object(s: &Survey) -> Object<'_> {
    Object::Survey {
        author: s.author_id,
        agency: s.agency_id,
        published: s.published(),
        audience: s.audience.policy(),
    }
}

/// The error for a refused design or response: `invalid_input` with the stable message key,
/// on the question it is about (the pages put the message under that question) or on the
/// form field of the whole survey.
pub fn refused(r: Refusal) -> Error {
    let field = match (&r.question, r.key) {
        (Some(q), _) => q.clone(),
        (None, "survey-title-required") => "title".into(),
        (None, "survey-audience-empty") => "audience".into(),
        (None, "survey-dates-order") => "closes_at".into(),
        (None, "survey-k-invalid") => "k".into(),
        (None, _) => "sections".into(),
    };
    Error::new(Code::InvalidInput).with_field(&field).with_detail_key(r.key)
}

fn conflict(key: &'static str) -> Error {
    Error::new(Code::Conflict).with_detail_key(key)
}

fn load(app: &App, id: u64) -> Result<Survey> {
    let txn = app.db.read()?;
    store::get(&txn, id)?.ok_or_else(Error::not_found)
}

fn me(actor: &Actor) -> Result<&UserIdentity> {
    actor.user().ok_or_else(Error::forbidden)
}

/// A survey as a person sees it: the record, the state the clock implies, whether the
/// questions are frozen and whether this person has answered.
#[derive(Debug, Clone)]
pub struct Seen {
    pub survey: Survey,
    pub state: State,
    pub frozen: bool,
    pub answered: bool,
}

impl Seen {
    /// The survey as the API shows it: its record with the state the clock implies, whether
    /// it is frozen and whether the reader has answered.
    pub fn to_json(&self) -> serde_json::Value {
        let mut v = serde_json::to_value(&self.survey).unwrap_or_default();
        v["state"] = json!(self.state.name());
        v["frozen"] = json!(self.frozen);
        v["answered"] = json!(self.answered);
        v
    }
}

fn seen(app: &App, actor: &Actor, survey: Survey) -> Result<Seen> {
    let txn = app.db.read()?;
    let frozen = store::any_respondent(&txn, survey.id)?;
    let answered = match actor.user_id() {
        Some(me) => store::has_answered(&txn, survey.id, me)?,
        None => false,
    };
    let state = survey.state_at(&now());
    Ok(Seen { survey, state, frozen, answered })
}

/// A survey the actor may read (its author; its audience once published).
pub fn get(app: &App, actor: &Actor, id: u64) -> Result<Seen> {
    // Named before loading: a request for a missing survey is logged as what it tried.
    actor.origin.name_operation_if_unnamed(SurveyAction::Read.name());
    let s = load(app, id)?;
    require(actor, Action::Survey(SurveyAction::Read), object(&s))?;
    seen(app, actor, s)
}

/// The surveys the actor may read, newest first: the policy's answer for each, so that a
/// role that stands alone (administrator, auditor) is not offered what it may not open.
pub fn list(app: &App, actor: &Actor) -> Result<Vec<Seen>> {
    me(actor)?;
    let all = {
        let txn = app.db.read()?;
        store::all(&txn)?
    };
    let mut out = Vec::new();
    for s in all.into_iter().rev() {
        if allowed(actor, SurveyAction::Read, &s) {
            out.push(seen(app, actor, s)?);
        }
    }
    actor.origin.set_operation(SurveyAction::Read.name());
    Ok(out)
}

fn k_default() -> u32 {
    DEFAULT_K
}

/// What the author sets (the JSON body of `POST /api/v1/surveys` and of a change; the
/// builder's form fills the same).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Design {
    pub title: Text,
    #[serde(default)]
    pub description: Text,
    #[serde(default)]
    pub anonymity: Anonymity,
    /// The smallest group shown apart in a breakdown (default 5).
    #[serde(default = "k_default")]
    pub k: u32,
    pub audience: Audience,
    /// Astana local (`2027-01-04T10:00`, as an HTML datetime-local field) or RFC 3339.
    pub opens_at: String,
    pub closes_at: String,
    pub sections: Vec<Section>,
}

fn time(field: &str, s: &str) -> Result<String> {
    let t = crate::portal::maintenance::model::parse_time(field, s)?;
    Ok(crate::clock::utc_string(t))
}

/// The survey a design describes, checked.
fn build(d: Design, id: u64, me: &UserIdentity, created: String) -> Result<Survey> {
    let s = Survey {
        id,
        title: d.title,
        description: d.description,
        author_id: me.id,
        agency_id: me.agency_id,
        anonymity: d.anonymity,
        k: d.k,
        audience: d.audience,
        opens_at: time("opens_at", &d.opens_at)?,
        closes_at: time("closes_at", &d.closes_at)?,
        state: State::Draft,
        sections: d.sections,
        fixes: Vec::new(),
        copied_from: None,
        created,
    };
    match s.check_design() {
        // A draft may be empty while the builder adds its questions; opening checks it whole.
        Err(r) if r.key == "survey-no-questions" => {}
        other => other.map_err(refused)?,
    }
    Ok(s)
}

/// Whether the actor may design surveys: the builder asks before showing its form, so the
/// refusal is a 403 logged under `survey.create`.
pub fn may_create(actor: &Actor) -> Result<()> {
    require_create(actor).map(|_| ())
}

/// Whether to offer "new survey" (asked without logging anything: a page's link only).
pub fn can_create(actor: &Actor) -> bool {
    actor.user().is_some_and(|me| {
        crate::auth::policy::decide(
            actor,
            Action::Survey(SurveyAction::Create),
            Object::Agency(me.agency_id),
        )
    })
}

/// A survey as its author changes it in the builder or previews it: the right to manage it.
pub fn for_edit(app: &App, actor: &Actor, id: u64) -> Result<Seen> {
    // Named before the survey is looked up: an unknown id is a refused `survey.manage` too.
    actor.origin.set_operation(SurveyAction::Manage.name());
    let s = load(app, id)?;
    require(actor, Action::Survey(SurveyAction::Manage), object(&s))?;
    seen(app, actor, s)
}

/// The design a survey holds (the builder changes a part and saves it whole, through the
/// same checks as the API).
pub fn design_of(s: &Survey) -> Design {
    Design {
        title: s.title.clone(),
        description: s.description.clone(),
        anonymity: s.anonymity,
        k: s.k,
        audience: s.audience.clone(),
        opens_at: s.opens_at.clone(),
        closes_at: s.closes_at.clone(),
        sections: s.sections.clone(),
    }
}

fn require_create(actor: &Actor) -> Result<UserIdentity> {
    let me = me(actor)?.clone();
    require(actor, Action::Survey(SurveyAction::Create), Object::Agency(me.agency_id))?;
    Ok(me)
}

/// Designs a new survey (a draft until it is opened).
pub fn create(app: &App, actor: &Actor, design: Design) -> Result<Survey> {
    let me = require_create(actor)?;
    let checked = build(design, 0, &me, now())?;
    app.audit.change(actor, SurveyAction::Create.name(), |txn| {
        let s = Survey { id: crate::db::next_id(txn, "survey")?, ..checked };
        store::put(txn, &s, None)?;
        Ok((s.clone(), Some(json!({"survey": s.id}))))
    })
}

/// A new draft with an earlier survey's questions, texts, audience and settings; the author
/// sets its dates before opening it. Copying needs the right to read the earlier one.
pub fn copy(app: &App, actor: &Actor, from: u64) -> Result<Survey> {
    let me = require_create(actor)?;
    let source = load(app, from)?;
    require(actor, Action::Survey(SurveyAction::Read), object(&source))?;
    actor.origin.set_operation(SurveyAction::Create.name());
    app.audit.change(actor, SurveyAction::Create.name(), |txn| {
        let s = Survey {
            id: crate::db::next_id(txn, "survey")?,
            author_id: me.id,
            agency_id: me.agency_id,
            state: State::Draft,
            fixes: Vec::new(),
            copied_from: Some(from),
            created: now(),
            ..source.clone()
        };
        store::put(txn, &s, None)?;
        Ok((s.clone(), Some(json!({"survey": s.id, "copied_from": from}))))
    })
}

/// Changes a survey before it closes. Once anyone has answered, only texts may change (a
/// typo), and each correction is recorded with who made it and when.
pub fn update(app: &App, actor: &Actor, id: u64, design: Design) -> Result<Survey> {
    let me = me(actor)?.clone();
    let before = load(app, id)?;
    require(actor, Action::Survey(SurveyAction::Manage), object(&before))?;
    let now = now();
    let next = build(design, id, &me, before.created.clone())?;
    app.audit.change(actor, SurveyAction::Manage.name(), |txn| {
        let before = store::get_in(txn, id)?.ok_or_else(Error::not_found)?;
        if before.state_at(&now) == State::Closed {
            return Err(conflict("survey-closed"));
        }
        let mut next = Survey {
            state: before.state,
            fixes: before.fixes.clone(),
            copied_from: before.copied_from,
            ..next.clone()
        };
        let mut detail = json!({"survey": id});
        if store::any_respondent_in(txn, id)? {
            let fixes =
                before.text_fixes(&next, me.id, &now).ok_or_else(|| conflict("survey-frozen"))?;
            detail["fixed"] = json!(fixes.iter().map(|f| f.path.clone()).collect::<Vec<_>>());
            next.fixes.extend(fixes);
        } else if before.published() && next.closes_at <= now {
            return Err(refused(Refusal { key: "survey-dates-order", question: None }));
        }
        if before.state == State::Scheduled && next.opens_at <= now {
            next.state = State::Open;
        }
        store::put(txn, &next, Some(&before))?;
        Ok((next, Some(detail)))
    })
}

/// Publishes a draft: open at once if its opening time has come, scheduled otherwise.
pub fn open(app: &App, actor: &Actor, id: u64) -> Result<Survey> {
    let s = load(app, id)?;
    require(actor, Action::Survey(SurveyAction::Manage), object(&s))?;
    let audience = recipients(app, &s, &[])?;
    let after = std::cell::RefCell::new(None);
    let now = now();
    app.audit
        .change(actor, "survey.open", |txn| {
            let before = store::get_in(txn, id)?.ok_or_else(Error::not_found)?;
            if before.state != State::Draft {
                return Err(conflict("survey-already-published"));
            }
            before.check_design().map_err(refused)?;
            if before.closes_at <= now {
                return Err(refused(Refusal { key: "survey-dates-order", question: None }));
            }
            let state = if before.opens_at <= now { State::Open } else { State::Scheduled };
            let next = Survey { state, ..before.clone() };
            store::put(txn, &next, Some(&before))?;
            if state == State::Open {
                *after.borrow_mut() =
                    Some(notify::enqueue_in(app, txn, &audience, &opened(&next))?);
            }
            Ok((next, Some(json!({"survey": id, "state": state.name()}))))
        })
        .inspect(|_| finish(app, after.take()))
}

/// Closes a published survey before its time (final).
pub fn close(app: &App, actor: &Actor, id: u64) -> Result<Survey> {
    let s = load(app, id)?;
    require(actor, Action::Survey(SurveyAction::Manage), object(&s))?;
    let now = now();
    app.audit.change(actor, "survey.close", |txn| {
        let before = store::get_in(txn, id)?.ok_or_else(Error::not_found)?;
        match before.state_at(&now) {
            State::Draft => return Err(conflict("survey-not-published")),
            State::Closed => return Err(conflict("survey-closed")),
            State::Scheduled | State::Open => {}
        }
        let next = Survey { state: State::Closed, closes_at: now.clone(), ..before.clone() };
        store::put(txn, &next, Some(&before))?;
        Ok((next, Some(json!({"survey": id}))))
    })
}

/// The refusal of a response at the wrong time; a survey not open yet names its opening
/// time in Astana time.
fn not_open(s: &Survey, state: State) -> Error {
    match state {
        State::Closed => conflict("survey-closed"),
        _ => {
            let e = conflict("survey-not-open");
            match crate::clock::parse(&s.opens_at) {
                Some(t) => e.with_detail(format!("{} (Astana)", crate::clock::local_display(t))),
                None => e,
            }
        }
    }
}

/// One person's answers, once. In an anonymous survey the response row holds no person and
/// no time (see `store.rs`); the access-log entry names the survey only.
pub fn respond(app: &App, actor: &Actor, id: u64, answers: &Answers) -> Result<()> {
    let me = me(actor)?.clone();
    let s = load(app, id)?;
    require(actor, Action::Survey(SurveyAction::Answer), object(&s))?;
    let now = now();
    let state = s.state_at(&now);
    if state != State::Open {
        return Err(not_open(&s, state));
    }
    let clean = s.check_response(answers).map_err(refused)?;
    let response = Response {
        day: match s.anonymity {
            Anonymity::Named => Some(crate::calendar::today().to_string()),
            Anonymity::Anonymous => None,
        },
        agency: me.agency_id,
        department: me.department_id,
        person: match s.anonymity {
            Anonymity::Named => Some(me.id),
            Anonymity::Anonymous => None,
        },
        answers: clean,
    };
    app.audit.change(actor, "survey.respond", |txn| {
        let s = store::get_in(txn, id)?.ok_or_else(Error::not_found)?;
        let state = s.state_at(&now);
        if state != State::Open {
            return Err(not_open(&s, state));
        }
        if store::has_answered_in(txn, id, me.id)? {
            return Err(conflict("survey-already-answered"));
        }
        store::put_response(txn, id, me.id, &response)?;
        Ok(((), Some(json!({"survey": id}))))
    })
}

/// The survey a person is about to answer: readable, open and not answered yet.
fn answerable(app: &App, actor: &Actor, id: u64) -> Result<(Survey, u64)> {
    let me = me(actor)?.id;
    let s = load(app, id)?;
    require(actor, Action::Survey(SurveyAction::Answer), object(&s))?;
    let state = s.state_at(&now());
    if state != State::Open {
        return Err(not_open(&s, state));
    }
    Ok((s, me))
}

/// A named survey's unfinished answers of the actor (none for an anonymous survey: its
/// pages carry them in the form, see `store::DRAFTS`).
pub fn draft(app: &App, actor: &Actor, id: u64) -> Result<Option<store::Draft>> {
    let Some(me) = actor.user_id() else { return Ok(None) };
    let txn = app.db.read()?;
    match store::get(&txn, id)? {
        Some(s) if s.anonymity == Anonymity::Named => store::draft(&txn, id, me),
        _ => Ok(None),
    }
}

/// Keeps a named survey's unfinished answers between pages and sessions. An anonymous
/// survey's answers are never stored before they are submitted: nothing is written.
pub fn save_draft(app: &App, actor: &Actor, id: u64, draft: &store::Draft) -> Result<bool> {
    let (s, me) = answerable(app, actor, id)?;
    if s.anonymity == Anonymity::Anonymous {
        return Ok(false);
    }
    app.audit.change(actor, "survey.draft", |txn| {
        if store::has_answered_in(txn, id, me)? {
            return Err(conflict("survey-already-answered"));
        }
        store::put_draft(txn, id, me, draft)?;
        Ok((true, Some(json!({"survey": id}))))
    })
}

/// The notice of a survey that opened, to its audience.
fn opened(s: &Survey) -> Notice {
    let title = Names::new(&s.title.kk, &s.title.ru, &s.title.ru);
    Notice::new("survey-opened", format!("/surveys/{}", s.id), format!("survey:{}", s.id))
        .arg("title", title)
        .arg("closes", Arg::Time(s.closes_at.clone()))
}

/// The audience as notice recipients, but for the accounts in `except`.
fn recipients(app: &App, s: &Survey, except: &[u64]) -> Result<Vec<notify::Recipient>> {
    let ids: Vec<u64> =
        super::reading::audience(app, s)?.into_iter().filter(|id| !except.contains(id)).collect();
    crate::portal::directory::service::recipients_by_id(app, &ids)
}

fn finish(app: &App, after: Option<notify::AfterCommit>) {
    if let Some(after) = after {
        notify::after_commit(app, after);
    }
}

/// Reminds those of the audience who have not answered an open survey (I385 §7.8, issue 16
/// point 4): the register of who has answered says who they are — for an anonymous survey
/// too, since it never says what anyone answered. The author learns how many were
/// reminded, never who; the access log records the count only.
pub fn remind(app: &App, actor: &Actor, id: u64) -> Result<usize> {
    let s = load(app, id)?;
    require(actor, Action::Survey(SurveyAction::Manage), object(&s))?;
    if s.state_at(&now()) != State::Open {
        return Err(conflict("survey-not-open"));
    }
    let answered = {
        let txn = app.db.read()?;
        store::respondents(&txn, id)?
    };
    let to = recipients(app, &s, &answered)?;
    let notice = Notice::new("survey-reminder", format!("/surveys/{id}"), format!("survey:{id}"))
        .arg("title", Names::new(&s.title.kk, &s.title.ru, &s.title.ru))
        .arg("closes", Arg::Time(s.closes_at.clone()));
    let (n, after) = app.audit.change(actor, "survey.remind", |txn| {
        let after = notify::enqueue_in(app, txn, &to, &notice)?;
        Ok(((to.len(), after), Some(json!({"survey": id, "reminded": to.len()}))))
    })?;
    notify::after_commit(app, after);
    Ok(n)
}

/// The open surveys the actor is asked and has not answered yet (the start page).
pub fn to_answer(app: &App, actor: &Actor) -> Result<Vec<Seen>> {
    Ok(list(app, actor)?
        .into_iter()
        .filter(|x| {
            x.state == State::Open && !x.answered && allowed(actor, SurveyAction::Answer, &x.survey)
        })
        .collect())
}

/// The policy's answer for one survey, asked without logging (a list's filter).
fn allowed(actor: &Actor, action: SurveyAction, s: &Survey) -> bool {
    crate::auth::policy::decide(actor, Action::Survey(action), object(s))
}

/// Opens and closes the surveys whose time has come (the server's job); the number changed.
pub fn run_due(app: &App) -> Result<usize> {
    let now = now();
    let due = {
        let txn = app.db.read()?;
        store::due(&txn, &now)?
    };
    let actor = Actor::system_job_bypassing_user_policy("surveys");
    let mut changed = 0;
    for id in due {
        let audience = match load(app, id) {
            Ok(s) if s.state_at(&now) == State::Open => recipients(app, &s, &[])?,
            _ => Vec::new(),
        };
        let after = std::cell::RefCell::new(None);
        let done = app.audit.change(&actor, "survey.due", |txn| {
            let before = store::get_in(txn, id)?.ok_or_else(Error::not_found)?;
            let state = before.state_at(&now);
            if state == before.state {
                return Ok((false, None));
            }
            let next = Survey { state, ..before.clone() };
            store::put(txn, &next, Some(&before))?;
            if state == State::Open {
                *after.borrow_mut() =
                    Some(notify::enqueue_in(app, txn, &audience, &opened(&next))?);
            }
            Ok((true, Some(json!({"survey": id, "state": state.name()}))))
        });
        finish(app, after.take());
        match done {
            Ok(true) => changed += 1,
            Ok(false) => {}
            Err(e) => {
                tracing::error!(survey = id, error = %e, "opening or closing a survey failed")
            }
        }
    }
    Ok(changed)
}
