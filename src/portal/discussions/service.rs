//! Discussions, use cases (I385 §7.6, §52–§54). The initiator posts a document — a new one
//! with files, or one they may already read — names the people or picks a working group,
//! and sets the dates; the vote is a poll of the voting engine created in the same
//! transaction (subject `discussion:<id>`), which also opens and closes it on time. Members
//! comment (threads, with the paragraph they answer quoted) and vote while it is open; the
//! initiator may close it early with a reason (§54); after closing, comments and ballots are
//! sealed. Members are told when it opens, a day before it closes, and when it closes.

use std::cell::RefCell;

use redb::WriteTransaction;
use serde::Deserialize;
use serde_json::json;

use super::model::*;
use super::store;
use crate::actor::Actor;
use crate::app::App;
use crate::auth::policy::{Action, DiscussionAction, Object, require};
use crate::error::{Code, Error, Result};
use crate::notify::{self, AfterCommit, Arg, Names, Notice};
use crate::portal::directory::service as directory;
use crate::portal::documents::service::{
    self as documents, AccessInput, Also, Meta, Posted, Ticket,
};
use crate::portal::documents::upload::AcceptedFile;
use crate::portal::polls::model::{Majority, Options, Poll, Secrecy, State};
use crate::portal::polls::service::{self as polls, PollSpec};

pub(super) fn now() -> String {
    crate::clock::utc_string(crate::clock::now())
}

pub(super) fn refused(r: Refusal) -> Error {
    let code = match r {
        Refusal::Closed | Refusal::NotStarted => Code::Conflict,
        _ => Code::InvalidInput,
    };
    let field = match r {
        Refusal::EmptyComment | Refusal::CommentTooLong => Some("text"),
        Refusal::UnknownParent => Some("reply_to"),
        Refusal::UnknownParagraph => Some("paragraph"),
        Refusal::ReasonRequired => Some("reason"),
        Refusal::BadDates => Some("ends_at"),
        Refusal::NoMembers => Some("members"),
        Refusal::Closed | Refusal::NotStarted => None,
    };
    let e = Error::new(code).with_detail_key(r.key());
    match field {
        Some(f) => e.with_field(f),
        None => e,
    }
}

pub(super) fn object(d: &Discussion) -> Object<'_> {
    Object::Discussion { initiator: d.initiator, agency: d.agency, members: &d.members }
}

pub(super) fn load(app: &App, id: u64) -> Result<Discussion> {
    let txn = app.db.read()?;
    store::get(&txn, id)?.ok_or_else(Error::not_found)
}

/// A discussion the actor takes part in (`discussion.read`).
pub fn readable(app: &App, actor: &Actor, id: u64) -> Result<Discussion> {
    let d = load(app, id)?;
    require(actor, Action::Discussion(DiscussionAction::Read), object(&d))?;
    Ok(d)
}

/// What the initiator sets: who discusses, when, and how the vote is held. Carried as the
/// JSON body (with `document_id`) or inside the `meta` part of a posting (`discussion`).
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// An existing document the initiator may read (instead of posting one).
    pub document_id: Option<u64>,
    /// A working group the initiator may see; its members as they stand when it opens.
    pub group: Option<u64>,
    /// Logins of further members.
    pub members: Vec<String>,
    /// Astana local (`2027-01-04T10:00`, as an HTML datetime-local field) or RFC 3339;
    /// empty: now.
    pub starts_at: String,
    pub ends_at: String,
    /// A secret vote (who voted and what was chosen never joined).
    pub secret: bool,
    /// Each ballot signed (named votes only).
    pub signed: bool,
    /// For / against / abstain instead of for / against.
    pub abstain: bool,
    /// The vote's own options (2–10) instead of for / against.
    pub options: Vec<String>,
    /// `simple`, `two_thirds` or `all`.
    pub majority: String,
    /// Share of the members who must vote for a result (0–100).
    pub quorum_percent: u8,
    /// Show the count only once it closes.
    pub hide_until_closed: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            document_id: None,
            group: None,
            members: Vec::new(),
            starts_at: String::new(),
            ends_at: String::new(),
            secret: false,
            signed: false,
            abstain: false,
            options: Vec::new(),
            majority: "simple".into(),
            quorum_percent: 50,
            hide_until_closed: false,
        }
    }
}

/// Settings checked and resolved against the directory.
struct Resolved {
    members: Vec<u64>,
    group: Option<u64>,
    starts_at: String,
    ends_at: String,
    settings: Settings,
}

fn resolve(app: &App, actor: &Actor, s: Settings) -> Result<Resolved> {
    let (_, mut members) = directory::resolve_access_names(app, &[], &s.members)?;
    if let Some(g) = s.group {
        // Only a group the initiator may see; its members now (frozen when it opens).
        directory::group(app, actor, g).map_err(|_| Error::invalid("group", "unknown-group"))?;
        members.extend(directory::group_members(app, g)?);
    }
    members.sort_unstable();
    members.dedup();
    if members.is_empty() {
        return Err(refused(Refusal::NoMembers));
    }
    let parse = crate::portal::maintenance::model::parse_time;
    let now = crate::clock::now();
    let starts =
        if s.starts_at.trim().is_empty() { now } else { parse("starts_at", &s.starts_at)? };
    let ends = parse("ends_at", &s.ends_at)?;
    if ends <= starts || ends <= now {
        return Err(refused(Refusal::BadDates));
    }
    if Majority::parse(&s.majority).is_none() {
        return Err(Error::invalid("majority", "poll-bad-majority"));
    }
    Ok(Resolved {
        members,
        group: s.group,
        starts_at: crate::clock::utc_string(starts),
        ends_at: crate::clock::utc_string(ends),
        settings: s,
    })
}

fn require_create(actor: &Actor) -> Result<crate::actor::UserIdentity> {
    let me = actor.user().ok_or_else(Error::forbidden)?.clone();
    require(actor, Action::Discussion(DiscussionAction::Create), Object::Agency(me.agency_id))?;
    Ok(me)
}

/// Checks the right to post a document for discussion before the body is read.
pub fn prepare(app: &App, actor: &Actor) -> Result<Ticket> {
    require_create(actor)?;
    documents::prepare_post(app, actor)
}

/// The poll a discussion asks of the voting engine (its ballot header set by the caller).
fn spec_of(id: u64, document_id: u64, initiator: u64, r: &Resolved) -> PollSpec {
    let s = &r.settings;
    let mut spec =
        PollSpec::for_against(format!("discussion:{id}"), format!("/discussions/{id}"), 1);
    spec.document_id = Some(document_id);
    spec.options = if s.options.is_empty() {
        Options::ForAgainst { abstain: s.abstain }
    } else {
        Options::Custom { labels: s.options.clone() }
    };
    spec.secrecy = if s.secret { Secrecy::Secret } else { Secrecy::Named };
    spec.signed = s.signed;
    spec.majority = Majority::parse(&s.majority).unwrap_or(Majority::Simple);
    spec.quorum_percent = s.quorum_percent;
    spec.hide_until_closed = s.hide_until_closed;
    spec.opens_at = r.starts_at.clone();
    spec.closes_at = r.ends_at.clone();
    spec.members = r.members.clone();
    spec.group = r.group;
    spec.watchers = vec![initiator];
    spec
}

/// Creates the discussion and its poll in the caller's transaction; notices to the members
/// if it is already open.
fn create_in(
    app: &App,
    txn: &WriteTransaction,
    me: &crate::actor::UserIdentity,
    document_id: u64,
    version: u32,
    r: &Resolved,
) -> Result<(Discussion, Poll, AfterCommit)> {
    let id = crate::db::next_id(txn, "discussion")?;
    let mut spec = spec_of(id, document_id, me.id, r);
    spec.ballot_header = vec![
        ("discussion".into(), id.to_string()),
        ("document".into(), document_id.to_string()),
        ("version".into(), version.to_string()),
    ];
    let poll = polls::create_in(app, txn, spec, me.id)?;
    let mut d = Discussion {
        id,
        document_id,
        initiator: me.id,
        agency: me.agency_id,
        group: r.group,
        members: r.members.clone(),
        starts_at: r.starts_at.clone(),
        ends_at: r.ends_at.clone(),
        poll: poll.id,
        reminded: false,
        closed: None,
        created: now(),
    };
    let after = if poll.state == State::Open {
        d.members = poll.electorate_people();
        tell(app, txn, &d, "discussion-opened", &[])?
    } else {
        AfterCommit::default()
    };
    store::put(txn, &d)?;
    Ok((d, poll, after))
}

/// §52: posts a new document (with files) and opens its discussion. The document is shared
/// with the initiator's agency and the members.
pub fn create_with_document(
    app: &App,
    actor: &Actor,
    ticket: Ticket,
    mut meta: Meta,
    files: Vec<AcceptedFile>,
    settings: Settings,
) -> Result<u64> {
    let me = require_create(actor)?;
    if settings.document_id.is_some() {
        return Err(Error::invalid("document_id", "field-unknown"));
    }
    let r = resolve(app, actor, settings)?;
    let logins: Vec<String> =
        directory::users_by_id(app, &r.members)?.into_iter().map(|u| u.login).collect();
    meta.access = Some(AccessInput::Rule {
        all: false,
        agencies: vec![me.agency_code.clone()],
        departments: Vec::new(),
        users: logins,
        groups: r.group.into_iter().collect(),
    });
    let created: RefCell<Option<(u64, Poll, AfterCommit)>> = RefCell::new(None);
    let run = |txn: &WriteTransaction, posted: &Posted| -> Result<serde_json::Value> {
        let (d, poll, after) = create_in(app, txn, &me, posted.id, posted.version, &r)?;
        let detail = json!({"discussion": d.id, "document_id": posted.id, "poll": poll.id});
        *created.borrow_mut() = Some((d.id, poll, after));
        Ok(detail)
    };
    documents::commit_with(
        app,
        actor,
        ticket,
        meta,
        files,
        Some(&Also { operation: "discussion.create", run: &run }),
    )?;
    let (id, poll, after) =
        created.into_inner().ok_or_else(|| Error::internal("discussion not created"))?;
    notify::after_commit(app, after);
    polls::published(app, &poll);
    Ok(id)
}

/// §52: opens a discussion of a document the initiator may read; its members read it on
/// the discussion's page.
pub fn create_on_document(app: &App, actor: &Actor, settings: Settings) -> Result<u64> {
    let me = require_create(actor)?;
    let document_id =
        settings.document_id.ok_or_else(|| Error::invalid("document_id", "field-required"))?;
    let doc = documents::get(app, actor, document_id, "en")?;
    actor.origin.set_operation("discussion.create");
    let r = resolve(app, actor, settings)?;
    let (id, poll, after) = app.audit.change(actor, "discussion.create", |txn| {
        let (d, poll, after) = create_in(app, txn, &me, document_id, doc.current_version, &r)?;
        let detail = json!({"discussion": d.id, "document_id": document_id, "poll": poll.id});
        Ok(((d.id, poll, after), Some(detail)))
    })?;
    notify::after_commit(app, after);
    polls::published(app, &poll);
    Ok(id)
}

/// Changes who discusses, when and how the vote is held, before the discussion starts (the
/// initiator, `discussion.manage`). Once its poll has opened, the voting engine refuses
/// (`poll-frozen`, 409): options, rule, secrecy and electorate are frozen at opening.
pub fn change(app: &App, actor: &Actor, id: u64, settings: Settings) -> Result<()> {
    let d = load(app, id)?;
    require(actor, Action::Discussion(DiscussionAction::Manage), object(&d))?;
    actor.origin.set_operation("discussion.change");
    if settings.document_id.is_some_and(|doc| doc != d.document_id) {
        return Err(Error::invalid("document_id", "field-unknown"));
    }
    // Frozen first: an open poll is refused for what it is, whatever the new values say.
    let before = polls::get(app, d.poll)?;
    if before.state_at(&now()) != State::Scheduled {
        return Err(polls::refused(Some(&before), crate::portal::polls::model::Refusal::Frozen));
    }
    let r = resolve(app, actor, settings)?;
    let (d, poll) = app.audit.change(actor, "discussion.change", |txn| {
        let mut d = store::get_in(txn, id)?.ok_or_else(Error::not_found)?;
        let mut spec = spec_of(id, d.document_id, d.initiator, &r);
        // The ballot text names the same discussion, document and version as before.
        spec.ballot_header = before.ballot_header.clone();
        let poll = polls::update_in(app, txn, d.poll, spec)?;
        d.members = r.members.clone();
        d.group = r.group;
        d.starts_at = r.starts_at.clone();
        d.ends_at = r.ends_at.clone();
        store::put(txn, &d)?;
        let detail = json!({"discussion": id, "poll": poll.id});
        Ok(((d, poll), Some(detail)))
    })?;
    polls::published(app, &poll);
    published(app, &d);
    Ok(())
}

fn title_of(app: &App, d: &Discussion) -> Names {
    documents::current_content(app, d.document_id).map(|(_, c)| c.title_names()).unwrap_or_default()
}

/// Enqueues a notice to every member and the initiator in the current transaction.
fn tell(
    app: &App,
    txn: &WriteTransaction,
    d: &Discussion,
    key: &'static str,
    extra: &[(&'static str, Arg)],
) -> Result<AfterCommit> {
    let mut people = d.members.clone();
    people.push(d.initiator);
    people.sort_unstable();
    people.dedup();
    let mut n = Notice::new(key, format!("/discussions/{}", d.id), format!("discussion:{}", d.id))
        .arg("title", title_of(app, d))
        .arg("id", d.id)
        .arg("ends", Arg::Time(d.ends_at.clone()));
    n.args.extend(extra.iter().cloned());
    notify::enqueue_in(app, txn, &directory::recipients_by_id(app, &people)?, &n)
}

/// Tells the open pages of the people taking part that the discussion changed.
fn published(app: &App, d: &Discussion) {
    let topic = format!("discussion:{}", d.id);
    for user in d.members.iter().chain([&d.initiator]) {
        app.notifier.publish(
            *user,
            crate::notify::sse::LiveEvent {
                kind: "change",
                topic: topic.clone(),
                unread: None,
                item: None,
            },
        );
    }
}

// ---------------------------------------------------------------------------------------
// Comments

/// Sealed words of a comment.
#[derive(Debug, Clone, serde::Serialize, Deserialize, Default)]
pub(super) struct Words {
    pub text: String,
    #[serde(default)]
    pub quote: String,
}

fn comment_aad(discussion: u64, comment: u64) -> Vec<u8> {
    format!("ipgo-discussion-comment:{discussion}:{comment}").into_bytes()
}

pub(super) fn open_words(key: &[u8; 32], c: &CommentRecord) -> Words {
    crate::vault::open_sealed(key, &comment_aad(c.discussion, c.id), &c.sealed)
        .and_then(|plain| serde_json::from_slice(&plain).ok())
        .unwrap_or_default()
}

/// A comment as written.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct NewComment {
    pub text: String,
    /// The comment it answers.
    pub reply_to: Option<u64>,
    /// The paragraph of the document's text it answers (1-based, as the page numbers them).
    pub paragraph: Option<usize>,
}

/// §53: a member (or the initiator) comments while the discussion is open.
pub fn comment(app: &App, actor: &Actor, id: u64, input: NewComment) -> Result<u64> {
    let d = load(app, id)?;
    require(actor, Action::Discussion(DiscussionAction::Comment), object(&d))?;
    let me = actor.user_id().ok_or_else(Error::forbidden)?;
    let text = input.text.replace("\r\n", "\n").trim().to_owned();
    d.check_comment(&text, &now()).map_err(refused)?;
    let (_, content) = documents::current_content(app, d.document_id)?;
    let quote = match input.paragraph {
        None | Some(0) => String::new(),
        Some(n) => paragraphs(&content.text)
            .into_iter()
            .nth(n - 1)
            .ok_or_else(|| refused(Refusal::UnknownParagraph))?,
    };
    let key = app.vault.key(d.document_id).ok_or_else(Error::not_found)?;
    let paragraph = input.paragraph.filter(|n| *n > 0).map(|n| n - 1);
    let cid = app.audit.change(actor, "discussion.comment", |txn| {
        // Checked again inside the transaction: a close that came meanwhile seals it.
        let d = store::get_in(txn, id)?.ok_or_else(Error::not_found)?;
        d.check_comment(&text, &now()).map_err(refused)?;
        if let Some(parent) = input.reply_to
            && store::comment_in(txn, id, parent)?.is_none()
        {
            return Err(refused(Refusal::UnknownParent));
        }
        let cid = crate::db::next_id(txn, "discussion_comment")?;
        let words = serde_json::to_vec(&Words { text: text.clone(), quote: quote.clone() })?;
        let record = CommentRecord {
            id: cid,
            discussion: id,
            author: me,
            created: now(),
            reply_to: input.reply_to,
            paragraph,
            sealed: crate::vault::seal(&key, &comment_aad(id, cid), &words),
        };
        store::put_comment(txn, &record)?;
        Ok((cid, Some(json!({"discussion": id, "comment": cid}))))
    })?;
    published(app, &d);
    Ok(cid)
}

// ---------------------------------------------------------------------------------------
// Closing

/// §54: the initiator closes the discussion before its end, with a reason; the vote closes
/// with it and its result is computed from the ballots cast so far.
pub fn close_early(app: &App, actor: &Actor, id: u64, reason: &str) -> Result<()> {
    let d = load(app, id)?;
    require(actor, Action::Discussion(DiscussionAction::Manage), object(&d))?;
    let me = actor.user_id().ok_or_else(Error::forbidden)?;
    let (d, poll, after) = app.audit.change(actor, "discussion.close", |txn| {
        let mut d = store::get_in(txn, id)?.ok_or_else(Error::not_found)?;
        let now = now();
        d.close_early(me, reason, &now).map_err(refused)?;
        let reason = d.closed.as_ref().map(|c| c.reason.clone()).unwrap_or_default();
        let poll = polls::close_in(txn, d.poll, Some(me), &reason)?;
        store::put(txn, &d)?;
        let after = tell(app, txn, &d, "discussion-closed", &[outcome_arg(&poll)])?;
        let detail = json!({"discussion": id, "poll": poll.id, "reason": reason});
        Ok(((d, poll, after), Some(detail)))
    })?;
    notify::after_commit(app, after);
    polls::published(app, &poll);
    published(app, &d);
    Ok(())
}

fn outcome_arg(poll: &Poll) -> (&'static str, Arg) {
    let outcome =
        poll.result.as_ref().and_then(|r| r.outcome).map(|o| o.name()).unwrap_or("no_quorum");
    ("outcome", Arg::Message(format!("poll-outcome-{outcome}")))
}

fn of_poll(txn: &WriteTransaction, poll: &Poll) -> Result<Option<Discussion>> {
    match poll.subject.strip_prefix("discussion:").and_then(|s| s.parse().ok()) {
        Some(id) => store::get_in(txn, id),
        None => Ok(None),
    }
}

/// The engine opened a discussion's poll at its start: the members are now exactly its
/// electorate, and they are told.
pub fn poll_opened(app: &App, txn: &WriteTransaction, poll: &Poll) -> Result<AfterCommit> {
    let Some(mut d) = of_poll(txn, poll)? else { return Ok(AfterCommit::default()) };
    d.members = poll.electorate_people();
    store::put(txn, &d)?;
    tell(app, txn, &d, "discussion-opened", &[])
}

/// The engine closed a discussion's poll at its end: the discussion is sealed, and the
/// members are told the result.
pub fn poll_closed(app: &App, txn: &WriteTransaction, poll: &Poll) -> Result<AfterCommit> {
    let Some(mut d) = of_poll(txn, poll)? else { return Ok(AfterCommit::default()) };
    if d.closed.is_some() {
        return Ok(AfterCommit::default());
    }
    d.ended(&now());
    store::put(txn, &d)?;
    tell(app, txn, &d, "discussion-closed", &[outcome_arg(poll)])
}

/// The job: members of an open discussion are told a day before it closes. Returns how
/// many discussions were reminded.
pub fn remind_closing(app: &App) -> Result<usize> {
    let now_t = crate::clock::now();
    let now = crate::clock::utc_string(now_t);
    let soon = crate::clock::utc_string(now_t + jiff::SignedDuration::from_hours(24));
    let due: Vec<u64> = {
        let txn = app.db.read()?;
        store::all(&txn)?
            .into_iter()
            .filter(|d| !d.reminded && d.phase(&now) == Phase::Open && d.ends_at <= soon)
            .map(|d| d.id)
            .collect()
    };
    let actor = Actor::system_job_bypassing_user_policy("discussion-reminders");
    let mut done = 0;
    for id in due {
        let after = app.audit.change(&actor, "discussion.remind", |txn| {
            let Some(mut d) = store::get_in(txn, id)? else { return Ok((None, None)) };
            if d.reminded || d.phase(&now) != Phase::Open {
                return Ok((None, None));
            }
            d.reminded = true;
            store::put(txn, &d)?;
            let after = tell(app, txn, &d, "discussion-closing", &[])?;
            Ok((Some(after), Some(json!({"discussion": id}))))
        })?;
        if let Some(after) = after {
            notify::after_commit(app, after);
            done += 1;
        }
    }
    Ok(done)
}
