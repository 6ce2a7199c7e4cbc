//! Helpdesk use cases (I617 §13–§16): filing (by the applicant, or by the support service
//! for a request taken by phone or e-mail), routing, assigning, status changes, answers.
//! Every change: the policy, the state machine's verdict, then in ONE transaction the
//! ticket, the notices to the people concerned and the access-log entry.

use std::cell::RefCell;

use jiff::ToSpan;
use redb::{ReadTransaction, WriteTransaction};
use serde::Deserialize;
use serde_json::json;

use super::model::*;
use super::routing::{self, Target, Team};
use super::store;
use crate::actor::Actor;
use crate::app::App;
use crate::auth::policy::helpdesk::can_handle;
use crate::auth::policy::{Action, HelpdeskAction, Object, decide, require};
use crate::auth::roles::Role;
use crate::error::{Code, Error, Result};
use crate::notify::{self, AfterCommit, Arg, Notice, Recipient};
use crate::portal::directory::model::{User, UserStatus, clean_paragraphs, clean_text};
use crate::portal::directory::service as directory;
use crate::portal::documents::service::{self as documents, Also, Meta, Posted};
use crate::portal::documents::upload::AcceptedFile;

/// Longest subject and text of a request or an answer.
pub const MAX_SUBJECT: usize = 200;
pub const MAX_TEXT: usize = 10_000;

fn now() -> String {
    crate::clock::utc_string(crate::clock::now())
}

fn refused(key: &'static str) -> Error {
    Error::new(Code::Conflict).with_detail_key(key)
}

/// The members of a ticket's team.
pub(super) fn members(teams: &[Team], team: Option<u64>) -> Vec<u64> {
    team.and_then(|id| teams.iter().find(|t| t.id == id))
        .map(|t| t.members.clone())
        .unwrap_or_default()
}

/// A ticket as stored, with everyone it is with.
pub(super) struct Loaded {
    pub ticket: Ticket,
    pub handlers: Vec<u64>,
}

impl Loaded {
    pub fn object(&self) -> Object<'_> {
        Object::Ticket {
            applicant: self.ticket.applicant_id,
            agency_id: self.ticket.agency_id,
            handlers: &self.handlers,
        }
    }
}

pub(super) fn load_in(txn: &ReadTransaction, id: u64) -> Result<Loaded> {
    let ticket = store::ticket(txn, id)?.ok_or_else(Error::not_found)?;
    let handlers = ticket.handlers(&members(&store::teams(txn)?, ticket.team));
    Ok(Loaded { ticket, handlers })
}

pub(super) fn load(app: &App, id: u64) -> Result<Loaded> {
    load_in(&app.db.read()?, id)
}

/// Whether the actor acts as the support service or as the applicant, checked against
/// the policy (someone who is neither gets `not_found`, as for a missing ticket).
fn side_of(actor: &Actor, loaded: &Loaded) -> Result<Side> {
    let object = loaded.object();
    if decide(actor, Action::Helpdesk(HelpdeskAction::Work), object) {
        require(actor, Action::Helpdesk(HelpdeskAction::Work), object)?;
        return Ok(Side::Staff);
    }
    require(actor, Action::Helpdesk(HelpdeskAction::Reply), object)?;
    Ok(Side::Applicant)
}

fn topic(id: u64) -> String {
    format!("ticket:{id}")
}

fn notice(key: &'static str, t: &Ticket) -> Notice {
    Notice::new(key, format!("/helpdesk/tickets/{}", t.id), topic(t.id))
        .arg("number", t.number.clone())
        .arg("subject", t.subject.clone())
        .arg("status", Arg::Message(t.status.message_key()))
}

fn support_administrators(app: &App) -> Result<Vec<Recipient>> {
    let ids: Vec<u64> =
        directory::holders_of(app, Role::SupportAdmin)?.into_iter().map(|u| u.id).collect();
    directory::recipients_by_id(app, &ids)
}

/// Who hears about a ticket on the support side: its handlers, or the support
/// administrators when it is with nobody.
fn staff_recipients(app: &App, handlers: &[u64]) -> Result<Vec<Recipient>> {
    if handlers.is_empty() {
        support_administrators(app)
    } else {
        directory::recipients_by_id(app, handlers)
    }
}

fn tell(app: &App, txn: &WriteTransaction, to: &[Recipient], n: &Notice) -> Result<AfterCommit> {
    notify::enqueue_in(app, txn, to, n)
}

fn tell_applicant(
    app: &App,
    txn: &WriteTransaction,
    t: &Ticket,
    key: &'static str,
) -> Result<AfterCommit> {
    tell(app, txn, &directory::recipients_by_id(app, &[t.applicant_id])?, &notice(key, t))
}

// ---------------------------------------------------------------------------------------
// Filing

/// A request as typed (page form or API).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct NewTicket {
    pub category: String,
    pub urgency: String,
    pub subject: String,
    pub text: String,
    /// The support service entering a request for someone: the applicant's login.
    pub applicant: String,
    /// How it came when entered for someone: `phone` or `email`.
    pub channel: String,
}

/// A request that passed every check, ready to register.
#[derive(Debug, Clone)]
pub struct Checked {
    applicant: User,
    entered_by: Option<u64>,
    channel: Channel,
    category: Category,
    urgency: Urgency,
    subject: String,
    text: String,
}

/// The policy and the input rules of a new request (before any file is stored).
pub fn check_new(app: &App, actor: &Actor, input: &NewTicket) -> Result<Checked> {
    let me = actor.user().ok_or_else(Error::forbidden)?.clone();
    let named = input.applicant.trim();
    let on_behalf = !named.is_empty() && !named.eq_ignore_ascii_case(&me.login);
    let (applicant, channel) = if on_behalf {
        require(
            actor,
            Action::Helpdesk(HelpdeskAction::FileOnBehalf),
            Object::Agency(me.agency_id),
        )?;
        let user = directory::user_by_login(app, actor, named).map_err(|e| match e.code {
            Code::NotFound => {
                Error::invalid("applicant", "unknown-login").with_detail(named.to_owned())
            }
            _ => e,
        })?;
        actor.origin.set_operation(&Action::Helpdesk(HelpdeskAction::FileOnBehalf).name());
        if user.status != UserStatus::Active {
            return Err(Error::invalid("applicant", "helpdesk-applicant-disabled"));
        }
        let channel = match Channel::parse(&input.channel) {
            Some(c @ (Channel::Phone | Channel::Email)) => c,
            _ => return Err(Error::invalid("channel", "helpdesk-channel-invalid")),
        };
        (user, channel)
    } else {
        require(actor, Action::Helpdesk(HelpdeskAction::File), Object::Agency(me.agency_id))?;
        (directory::user_by_login(app, actor, &me.login)?, Channel::Portal)
    };
    actor.origin.set_operation(if on_behalf { "helpdesk.file_on_behalf" } else { "helpdesk.file" });
    let category = Category::parse(&input.category)
        .ok_or_else(|| Error::invalid("category", "invalid-choice"))?;
    let urgency = if input.urgency.trim().is_empty() {
        Urgency::Normal
    } else {
        Urgency::parse(&input.urgency).ok_or_else(|| Error::invalid("urgency", "invalid-choice"))?
    };
    let subject = clean_text("subject", &input.subject, MAX_SUBJECT)?;
    if subject.is_empty() {
        return Err(Error::invalid("subject", "field-required"));
    }
    let text = clean_paragraphs("text", &input.text, MAX_TEXT)?;
    if text.is_empty() {
        return Err(Error::invalid("text", "field-required"));
    }
    Ok(Checked {
        applicant,
        entered_by: on_behalf.then_some(me.id),
        channel,
        category,
        urgency,
        subject,
        text,
    })
}

/// Where a rule sends a request, if the target can still take it (an active administrator,
/// a team with members).
fn resolve_target(app: &App, teams: &[Team], target: Target) -> Result<Option<Target>> {
    Ok(match target {
        Target::User(id) => directory::identity(app, id, false)?
            .is_some_and(|u| can_handle(u.roles))
            .then_some(target),
        Target::Team(id) => {
            teams.iter().any(|t| t.id == id && !t.members.is_empty()).then_some(target)
        }
    })
}

/// Registers a request inside `txn`: number, history, routing, notices.
fn register_in(
    app: &App,
    txn: &WriteTransaction,
    actor: &Actor,
    c: &Checked,
    files: Option<u64>,
    continues: Option<u64>,
) -> Result<(Ticket, AfterCommit)> {
    let now_t = crate::clock::now();
    let now = crate::clock::utc_string(now_t);
    let year = crate::calendar::date_of(now_t).year();
    let id = crate::db::next_id(txn, "helpdesk_ticket")?;
    let n = crate::db::next_id(txn, &format!("helpdesk_number_{year}"))?;
    let mut t = Ticket {
        id,
        number: number(year, n),
        applicant_id: c.applicant.id,
        agency_id: c.applicant.agency_id,
        entered_by: c.entered_by,
        channel: c.channel,
        category: c.category,
        urgency: c.urgency,
        subject: c.subject.clone(),
        text: c.text.clone(),
        status: Status::New,
        assignee: None,
        team: None,
        rule: None,
        unrouted: false,
        history: vec![Change {
            at: now.clone(),
            by: actor.user_id().unwrap_or(0),
            from: None,
            to: Status::New,
            note: String::new(),
        }],
        messages: Vec::new(),
        files,
        continues,
        continued_by: None,
        created: now.clone(),
        updated: now.clone(),
    };
    let teams = store::teams_in(txn)?;
    let rules = store::rules_in(txn)?;
    let routed = match routing::route(&rules, c.category, c.applicant.agency_id) {
        Some(rule) => resolve_target(app, &teams, rule.target)?.map(|target| (rule.id, target)),
        None => None,
    };
    match routed {
        Some((rule, target)) => {
            t.rule = Some(rule);
            match target {
                Target::User(u) => t.assignee = Some(u),
                Target::Team(team) => t.team = Some(team),
            }
            t.record(Status::Assigned, 0, &now, "");
        }
        None => t.unrouted = true,
    }
    store::put_ticket(txn, &t)?;
    let handlers = t.handlers(&members(&teams, t.team));
    let mut after = tell_applicant(app, txn, &t, "helpdesk-registered")?;
    let key = if t.unrouted { "helpdesk-unrouted" } else { "helpdesk-assigned" };
    after = after.merge(tell(app, txn, &staff_recipients(app, &handlers)?, &notice(key, &t))?);
    Ok((t, after))
}

/// The document that holds a request's or an answer's files: `about` names the request,
/// `reader` is the one person who may read it as a document (the applicant; for an
/// internal note, its author).
fn files_meta(about: &str, reader: &str, text: &str) -> Meta {
    Meta {
        doc_type: Some("generic".into()),
        title: format!("Helpdesk request «{about}»: files"),
        title_kk: format!("Қолдау қызметіне өтініш «{about}»: файлдар"),
        title_ru: format!("Обращение в службу поддержки «{about}»: файлы"),
        text: text.chars().take(2000).collect(),
        access: Some(documents::AccessInput::Rule {
            all: false,
            agencies: Vec::new(),
            departments: Vec::new(),
            users: vec![reader.to_owned()],
            groups: Vec::new(),
        }),
        ..Meta::default()
    }
}

/// Files a request, with its files (already received and inspected, as document uploads
/// are) stored as a document the applicant may read.
pub fn file(
    app: &App,
    actor: &Actor,
    input: &NewTicket,
    posting: Option<documents::Ticket>,
    files: Vec<AcceptedFile>,
) -> Result<Ticket> {
    let checked = check_new(app, actor, input)?;
    let operation =
        if checked.entered_by.is_some() { "helpdesk.file_on_behalf" } else { "helpdesk.file" };
    let (ticket, after) = match posting.filter(|_| !files.is_empty()) {
        None => app.audit.change(actor, operation, |txn| {
            let (t, after) = register_in(app, txn, actor, &checked, None, None)?;
            let detail = detail(&t);
            Ok(((t, after), Some(detail)))
        })?,
        Some(posting) => {
            let made: RefCell<Option<(Ticket, AfterCommit)>> = RefCell::new(None);
            let run = |txn: &WriteTransaction, posted: &Posted| -> Result<serde_json::Value> {
                let (t, after) = register_in(app, txn, actor, &checked, Some(posted.id), None)?;
                let d = detail(&t);
                *made.borrow_mut() = Some((t, after));
                Ok(d)
            };
            let meta = files_meta(&checked.subject, &checked.applicant.login, &checked.text);
            documents::commit_with(
                app,
                actor,
                posting,
                meta,
                files,
                Some(&Also { operation, run: &run }),
            )?;
            made.into_inner().ok_or_else(|| Error::internal("ticket not registered"))?
        }
    };
    notify::after_commit(app, after);
    Ok(ticket)
}

fn detail(t: &Ticket) -> serde_json::Value {
    json!({
        "ticket": t.id, "number": t.number, "status": t.status.name(),
        "category": t.category.name(), "urgency": t.urgency.name(),
        "assignee": t.assignee, "team": t.team, "rule": t.rule, "unrouted": t.unrouted,
        "files": t.files,
    })
}

// ---------------------------------------------------------------------------------------
// Status changes

/// Whether a ticket resolved or closed at `since` may still be reopened at `now`.
fn within_reopen_period(app: &App, t: &Ticket, now: jiff::Timestamp) -> bool {
    let since = t
        .history
        .iter()
        .rev()
        .find(|c| matches!(c.to, Status::Resolved | Status::Closed))
        .and_then(|c| crate::clock::parse(&c.at));
    let days = i64::from(app.config.helpdesk.reopen_days);
    since.is_some_and(|s| s.checked_add((days * 24).hours()).is_ok_and(|end| now <= end))
}

/// Changes a ticket's status (`to` by name), with a note: a resolution's summary, what the
/// applicant is asked, why it is reopened.
pub fn change_status(app: &App, actor: &Actor, id: u64, to: &str, note: &str) -> Result<Ticket> {
    let loaded = load(app, id)?;
    let side = side_of(actor, &loaded)?;
    let to =
        Status::parse(to).ok_or_else(|| Error::invalid("status", "helpdesk-status-invalid"))?;
    if to == Status::Assigned {
        return Err(Error::invalid("status", "helpdesk-assign-first"));
    }
    let note = clean_paragraphs("note", note, 4000)?;
    let needs_note = matches!(to, Status::Waiting | Status::Resolved) && side == Side::Staff
        || to == Status::InProgress
            && matches!(loaded.ticket.status, Status::Resolved | Status::Closed);
    if needs_note && note.is_empty() {
        return Err(Error::invalid("note", "helpdesk-note-required"));
    }
    let me = actor.user_id().unwrap_or(0);
    let (t, after) = app.audit.change(actor, "helpdesk.status", |txn| {
        let mut t = store::ticket_in(txn, id)?.ok_or_else(Error::not_found)?;
        let from = t.status;
        if !transition_allowed(side, from, to) {
            return Err(refused("helpdesk-transition-not-allowed")
                .with_field("status")
                .with_detail(format!("{} → {}", from.name(), to.name())));
        }
        let reopening =
            matches!(from, Status::Resolved | Status::Closed) && to == Status::InProgress;
        if reopening && !within_reopen_period(app, &t, crate::clock::now()) {
            return Err(refused("helpdesk-reopen-period-over").with_field("status"));
        }
        t.record(to, me, &now(), &note);
        store::put_ticket(txn, &t)?;
        let mut after = notify::mark_topic_read_in(txn, me, &topic(id))?;
        after = after.merge(if me == t.applicant_id {
            let handlers = t.handlers(&members(&store::teams_in(txn)?, t.team));
            tell(
                app,
                txn,
                &staff_recipients(app, &handlers)?,
                &notice("helpdesk-status-by-applicant", &t),
            )?
        } else {
            tell_applicant(app, txn, &t, "helpdesk-status")?
        });
        let detail = json!({"ticket": id, "from": from.name(), "to": to.name()});
        Ok(((t, after), Some(detail)))
    })?;
    notify::after_commit(app, after);
    Ok(t)
}

// ---------------------------------------------------------------------------------------
// Answers

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct NewMessage {
    pub text: String,
    /// A note for the support service only.
    pub internal: bool,
}

/// What an answer did.
#[derive(Debug)]
pub enum Replied {
    /// Added to the ticket (which may have been reopened or taken back into work).
    Added(Ticket),
    /// The ticket was closed too long ago: a new ticket continues it.
    Continued(Ticket),
}

/// Checks the right to answer before the body (with its files) is read.
pub fn prepare_reply(app: &App, actor: &Actor, id: u64) -> Result<documents::Ticket> {
    let loaded = load(app, id)?;
    side_of(actor, &loaded)?;
    documents::prepare_post_as_workflow(app, actor)
}

/// Answers in a ticket. The applicant's answer takes a waiting ticket back into work,
/// reopens a resolved or closed one within the reopening period, and after it starts a
/// new ticket that continues the old one.
pub fn reply(
    app: &App,
    actor: &Actor,
    id: u64,
    input: &NewMessage,
    posting: Option<documents::Ticket>,
    files: Vec<AcceptedFile>,
) -> Result<Replied> {
    let loaded = load(app, id)?;
    let side = side_of(actor, &loaded)?;
    actor.origin.set_operation("helpdesk.reply");
    let text = clean_paragraphs("text", &input.text, MAX_TEXT)?;
    if text.is_empty() {
        return Err(Error::invalid("text", "field-required"));
    }
    if input.internal && side != Side::Staff {
        return Err(Error::invalid("internal", "helpdesk-internal-staff-only"));
    }
    let t0 = &loaded.ticket;
    if side == Side::Staff && t0.status == Status::Closed {
        return Err(refused("helpdesk-closed"));
    }
    let continues = side == Side::Applicant
        && matches!(t0.status, Status::Resolved | Status::Closed)
        && !within_reopen_period(app, t0, crate::clock::now());
    let checked = if continues {
        let applicant = directory::user_by_login(
            app,
            actor,
            &actor.user().map(|u| u.login.clone()).unwrap_or_default(),
        )?;
        Some(Checked {
            applicant,
            entered_by: None,
            channel: Channel::Portal,
            category: t0.category,
            urgency: t0.urgency,
            subject: t0.subject.clone(),
            text: text.clone(),
        })
    } else {
        None
    };
    let me = actor.user_id().unwrap_or(0);
    let work = |txn: &WriteTransaction,
                files_doc: Option<u64>|
     -> Result<(Replied, AfterCommit, serde_json::Value)> {
        let mut t = store::ticket_in(txn, id)?.ok_or_else(Error::not_found)?;
        let mut after = notify::mark_topic_read_in(txn, me, &topic(id))?;
        if let Some(c) = &checked {
            let (new, a) = register_in(app, txn, actor, c, files_doc, Some(id))?;
            t.continued_by = Some(new.id);
            t.updated = now();
            store::put_ticket(txn, &t)?;
            let d = json!({"ticket": id, "continued_by": new.id, "number": new.number});
            return Ok((Replied::Continued(new), after.merge(a), d));
        }
        let message_id = t.messages.iter().map(|m| m.id).max().unwrap_or(0) + 1;
        let now = now();
        t.messages.push(Message {
            id: message_id,
            at: now.clone(),
            by: me,
            text: text.clone(),
            internal: input.internal,
            files: files_doc,
        });
        t.updated = now.clone();
        let handlers = t.handlers(&members(&store::teams_in(txn)?, t.team));
        let mut reopened = false;
        if side == Side::Applicant {
            match t.status {
                Status::Waiting => t.record(Status::InProgress, me, &now, ""),
                Status::Resolved | Status::Closed => {
                    t.record(Status::InProgress, me, &now, "");
                    reopened = true;
                }
                _ => {}
            }
            let key = if reopened { "helpdesk-reopened" } else { "helpdesk-answered" };
            after =
                after.merge(tell(app, txn, &staff_recipients(app, &handlers)?, &notice(key, &t))?);
        } else if !input.internal {
            after = after.merge(tell_applicant(app, txn, &t, "helpdesk-reply")?);
        }
        store::put_ticket(txn, &t)?;
        let d = json!({"ticket": id, "message": message_id, "internal": input.internal,
            "status": t.status.name(), "reopened": reopened, "files": files_doc});
        Ok((Replied::Added(t), after, d))
    };
    let (replied, after) = match posting.filter(|_| !files.is_empty()) {
        None => app.audit.change(actor, "helpdesk.reply", |txn| {
            let (r, a, d) = work(txn, None)?;
            Ok(((r, a), Some(d)))
        })?,
        Some(posting) => {
            let done: RefCell<Option<(Replied, AfterCommit)>> = RefCell::new(None);
            let run = |txn: &WriteTransaction, posted: &Posted| -> Result<serde_json::Value> {
                let (r, a, d) = work(txn, Some(posted.id))?;
                *done.borrow_mut() = Some((r, a));
                Ok(d)
            };
            let reader = if input.internal {
                actor.user().map(|u| u.login.clone()).unwrap_or_default()
            } else {
                directory::user_names(app, &[t0.applicant_id], "ru")?
                    .into_iter()
                    .next()
                    .map(|(_, login, _)| login)
                    .unwrap_or_default()
            };
            let meta = files_meta(&format!("{} {}", t0.number, t0.subject), &reader, &text);
            documents::commit_with(
                app,
                actor,
                posting,
                meta,
                files,
                Some(&Also { operation: "helpdesk.reply", run: &run }),
            )?;
            done.into_inner().ok_or_else(|| Error::internal("answer not recorded"))?
        }
    };
    notify::after_commit(app, after);
    Ok(replied)
}

// ---------------------------------------------------------------------------------------
// Assigning

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Assignment {
    /// An administrator's login...
    pub assignee: String,
    /// ...or a team's id.
    pub team: Option<u64>,
    pub note: String,
}

/// Assigns or reassigns an open ticket to an administrator or a team (the support
/// administrator; a ticket nobody's rule took is flagged until then).
pub fn assign(app: &App, actor: &Actor, id: u64, input: &Assignment) -> Result<Ticket> {
    let loaded = load(app, id)?;
    require(actor, Action::Helpdesk(HelpdeskAction::Assign), loaded.object())?;
    let note = clean_paragraphs("note", &input.note, 4000)?;
    let login = input.assignee.trim();
    let target = match (login.is_empty(), input.team) {
        (false, None) => {
            let user = directory::user_by_login(app, actor, login).map_err(|e| match e.code {
                Code::NotFound => {
                    Error::invalid("assignee", "unknown-login").with_detail(login.to_owned())
                }
                _ => e,
            })?;
            let handles = user.status == UserStatus::Active
                && can_handle(user.roles.iter().copied().collect());
            if !handles {
                return Err(Error::invalid("assignee", "helpdesk-not-a-handler"));
            }
            Target::User(user.id)
        }
        (true, Some(team)) => Target::Team(team),
        _ => return Err(Error::invalid("assignee", "helpdesk-assign-one")),
    };
    actor.origin.set_operation("helpdesk.assign");
    let me = actor.user_id().unwrap_or(0);
    let (t, after) = app.audit.change(actor, "helpdesk.assign", |txn| {
        let mut t = store::ticket_in(txn, id)?.ok_or_else(Error::not_found)?;
        if !t.status.is_open() {
            return Err(refused("helpdesk-not-open"));
        }
        let teams = store::teams_in(txn)?;
        if let Target::Team(team) = target
            && !teams.iter().any(|x| x.id == team && !x.members.is_empty())
        {
            return Err(Error::invalid("team", "helpdesk-team-unknown"));
        }
        (t.assignee, t.team) = match target {
            Target::User(u) => (Some(u), None),
            Target::Team(team) => (None, Some(team)),
        };
        t.unrouted = false;
        t.updated = now();
        let mut after = AfterCommit::default();
        if t.status == Status::New {
            t.record(Status::Assigned, me, &now(), &note);
            after = tell_applicant(app, txn, &t, "helpdesk-status")?;
        }
        store::put_ticket(txn, &t)?;
        let handlers = t.handlers(&members(&teams, t.team));
        after = after.merge(tell(
            app,
            txn,
            &directory::recipients_by_id(app, &handlers)?,
            &notice("helpdesk-assigned", &t),
        )?);
        let detail = json!({"ticket": id, "assignee": t.assignee, "team": t.team});
        Ok(((t, after), Some(detail)))
    })?;
    notify::after_commit(app, after);
    Ok(t)
}

// ---------------------------------------------------------------------------------------
// The portal's own steps

/// Closes tickets resolved at least `close_after_working_days` working days ago that the
/// applicant neither confirmed nor reopened, and tells the applicant.
pub fn close_unanswered(app: &App) -> Result<usize> {
    let days = i64::from(app.config.helpdesk.close_after_working_days);
    let calendar = app.calendar.get();
    let today = crate::calendar::today();
    let due: Vec<u64> = {
        let txn = app.db.read()?;
        store::unclosed(&txn)?
            .into_iter()
            .filter(|t| t.status == Status::Resolved)
            .filter(|t| {
                t.last_entered(Status::Resolved).and_then(crate::clock::parse).is_some_and(|at| {
                    calendar.working_days_between(crate::calendar::date_of(at), today) >= days
                })
            })
            .map(|t| t.id)
            .collect()
    };
    if due.is_empty() {
        return Ok(0);
    }
    let actor = Actor::system_job_bypassing_user_policy("helpdesk-close");
    let after = app.audit.change(&actor, "helpdesk.close_unanswered", |txn| {
        let mut after = AfterCommit::default();
        let mut closed = Vec::new();
        for id in &due {
            let Some(mut t) = store::ticket_in(txn, *id)? else { continue };
            if t.status != Status::Resolved {
                continue;
            }
            t.record(Status::Closed, 0, &now(), "");
            store::put_ticket(txn, &t)?;
            after = after.merge(tell_applicant(app, txn, &t, "helpdesk-status")?);
            closed.push(*id);
        }
        Ok((after, Some(json!({"tickets": closed}))))
    })?;
    notify::after_commit(app, after);
    Ok(due.len())
}
