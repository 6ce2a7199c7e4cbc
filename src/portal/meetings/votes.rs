//! Votes on draft resolutions (I385 §46–§47) on the voting engine: during the meeting the
//! secretary (an OKDO officer) opens a poll on a question's draft resolution — for / against,
//! named and signed, the meeting's majority rule and quorum, the members as electorate with
//! the substitutes they named — members or their substitutes vote with a signature over the
//! engine's ballot text (which names the meeting, the agenda version, the question and the
//! resolution's sha256), and the secretary closes it (or the server does at its time); the
//! result decides acceptance.

use redb::WriteTransaction;
use sha2::Digest as _;

use super::model::*;
use super::service::{check, link, load, now, refused, step};
use crate::actor::Actor;
use crate::app::App;
use crate::auth::policy::MeetingAction;
use crate::auth::roles::Role;
use crate::error::{Error, Result};
use crate::notify::AfterCommit;
use crate::portal::directory::service as directory;
use crate::portal::polls::model::{Majority, Options, Poll, Secrecy, State};
use crate::portal::polls::service::{self as polls, PollSpec};

/// The subject of a question's poll on the voting engine.
fn subject(meeting: u64, question: usize) -> String {
    format!("meeting:{meeting}:item:{question}")
}

/// Gives `member`'s seat in the meeting's open polls to the substitute they named (or back
/// to them); returns the changed polls (to tell open pages after the commit).
pub(super) fn seat_substitute_in(
    txn: &WriteTransaction,
    m: &Meeting,
    member: u64,
) -> Result<Vec<Poll>> {
    let mut out = Vec::new();
    for p in &m.polls {
        let open = crate::portal::polls::store::get_in(txn, p.poll)?
            .is_some_and(|poll| poll.state != State::Closed);
        if open {
            out.push(polls::set_substitute_in(txn, p.poll, member, m.substitute_of(member))?);
        }
    }
    Ok(out)
}

/// §46: the secretary opens the vote on a question's draft resolution (once per question),
/// while the meeting is under way; it closes by itself after `minutes` if not closed before.
pub fn open(
    app: &App,
    actor: &Actor,
    id: u64,
    question: usize,
    resolution: &str,
    minutes: u64,
) -> Result<u64> {
    let m = load(app, id)?;
    check(actor, MeetingAction::Manage, &m)?;
    let me = actor.user_id().ok_or_else(Error::forbidden)?;
    let resolution = resolution.trim().chars().take(10_000).collect::<String>();
    if resolution.is_empty() {
        return Err(Error::invalid("resolution", "meeting-resolution-required"));
    }
    let watchers: Vec<u64> =
        directory::holders_of(app, Role::OkdoOfficer)?.into_iter().map(|u| u.id).collect();
    let opened = std::cell::RefCell::new(None);
    let poll_id = step(app, actor, id, MeetingAction::Manage, "meeting.open_vote", |m, txn| {
        let agenda = m.published().ok_or_else(|| refused(Refusal::NotPublished))?.clone();
        if question == 0 || question > agenda.questions.len() {
            return Err(refused(Refusal::NoSuchQuestion));
        }
        if now() < m.starts_at {
            return Err(refused(Refusal::NotStarted));
        }
        if m.polls.iter().any(|p| p.question == question && p.agenda_version == agenda.n) {
            return Err(refused(Refusal::PollExists));
        }
        let mut spec = PollSpec::for_against(subject(m.id, question), link(m.id), 1);
        let closes =
            crate::clock::now() + jiff::SignedDuration::from_mins(minutes.clamp(1, 24 * 60) as i64);
        spec.closes_at = crate::clock::utc_string(closes);
        spec.options = Options::ForAgainst { abstain: false };
        spec.secrecy = Secrecy::Named;
        spec.signed = true;
        spec.majority = Majority::parse(&m.majority).unwrap_or(Majority::Simple);
        spec.quorum_percent = m.quorum_percent;
        spec.members = m.members.clone();
        let mut watching = watchers.clone();
        watching.extend(&m.invited);
        watching.push(m.responsible);
        spec.watchers = watching;
        let q = &agenda.questions[question - 1];
        spec.ballot_header = vec![
            ("meeting".into(), m.id.to_string()),
            ("agenda-version".into(), agenda.n.to_string()),
            ("question".into(), question.to_string()),
            ("question-title".into(), crate::sign::manifest::escape(&q.title)),
            ("resolution-sha256".into(), hex::encode(sha2::Sha256::digest(resolution.as_bytes()))),
        ];
        let mut poll = polls::create_in(app, txn, spec, me)?;
        for member in m.members.clone() {
            if let Some(s) = m.substitute_of(member) {
                poll = polls::set_substitute_in(txn, poll.id, member, Some(s))?;
            }
        }
        m.polls.push(ItemPoll {
            question,
            agenda_version: agenda.n,
            poll: poll.id,
            resolution: resolution.clone(),
            outcome: None,
        });
        let id = poll.id;
        *opened.borrow_mut() = Some(poll);
        Ok((id, AfterCommit::default()))
    })?;
    if let Some(poll) = opened.into_inner() {
        polls::published(app, &poll);
    }
    Ok(poll_id)
}

/// The meeting's poll on `question` (of the published agenda), for a reader.
fn poll_of(app: &App, actor: &Actor, id: u64, question: usize) -> Result<u64> {
    let m = load(app, id)?;
    check(actor, MeetingAction::Read, &m)?;
    let version = m.published().map(|v| v.n).unwrap_or(0);
    m.polls
        .iter()
        .rev()
        .find(|p| p.question == question && p.agenda_version == version)
        .map(|p| p.poll)
        .ok_or_else(|| refused(Refusal::NoPoll))
}

/// The exact bytes a member (or substitute) signs to vote for `choice`.
pub fn ballot(app: &App, actor: &Actor, id: u64, question: usize, choice: &str) -> Result<Vec<u8>> {
    let poll = poll_of(app, actor, id, question)?;
    polls::ballot_text(app, actor, poll, choice)
}

/// §46: a member, or the substitute in their seat, votes with a signature over the ballot;
/// a member who named a substitute is refused (`poll-substituted`).
pub fn vote(
    app: &App,
    actor: &Actor,
    id: u64,
    question: usize,
    choice: &str,
    cms: &[u8],
) -> Result<()> {
    let poll = poll_of(app, actor, id, question)?;
    polls::cast(app, actor, poll, choice, Some(cms), "meeting.vote")
}

fn outcome_of(poll: &Poll) -> String {
    poll.result.as_ref().and_then(|r| r.outcome).map(|o| o.name()).unwrap_or("no_quorum").into()
}

/// §47: the secretary closes the vote; the result decides acceptance.
pub fn close(app: &App, actor: &Actor, id: u64, question: usize) -> Result<String> {
    let me = actor.user_id().ok_or_else(Error::forbidden)?;
    let closed = std::cell::RefCell::new(None);
    let outcome = step(app, actor, id, MeetingAction::Manage, "meeting.close_vote", |m, txn| {
        let version = m.published().map(|v| v.n).unwrap_or(0);
        let p = m
            .polls
            .iter_mut()
            .rev()
            .find(|p| p.question == question && p.agenda_version == version)
            .ok_or_else(|| refused(Refusal::NoPoll))?;
        let poll = polls::close_in(txn, p.poll, Some(me), "meeting")?;
        let outcome = outcome_of(&poll);
        p.outcome = Some(outcome.clone());
        *closed.borrow_mut() = Some(poll);
        Ok((outcome, AfterCommit::default()))
    })?;
    if let Some(poll) = closed.into_inner() {
        polls::published(app, &poll);
    }
    Ok(outcome)
}

/// The engine opened a meeting's poll (meetings open theirs at once; nothing to do).
pub fn poll_opened(_app: &App, _txn: &WriteTransaction, _poll: &Poll) -> Result<AfterCommit> {
    Ok(AfterCommit::default())
}

/// The server closed a meeting's poll at its time: the outcome is recorded on the meeting.
pub fn poll_closed(_app: &App, txn: &WriteTransaction, poll: &Poll) -> Result<AfterCommit> {
    let id = poll
        .subject
        .strip_prefix("meeting:")
        .and_then(|rest| rest.split(':').next())
        .and_then(|s| s.parse::<u64>().ok());
    let Some(id) = id else { return Ok(AfterCommit::default()) };
    let Some(mut m) = super::store::get_in(txn, id)? else { return Ok(AfterCommit::default()) };
    if let Some(p) = m.polls.iter_mut().find(|p| p.poll == poll.id) {
        p.outcome = Some(outcome_of(poll));
        super::store::put(txn, &m)?;
    }
    Ok(AfterCommit::default())
}

/// §45: the secretary moves the meeting to a question of the published agenda (or to none);
/// every reader's open page is told, and pages following the meeting load again. Without
/// JavaScript the page shows the current question on every load.
pub fn move_to(app: &App, actor: &Actor, id: u64, item: Option<usize>) -> Result<()> {
    let readers =
        step(app, actor, id, MeetingAction::Manage, "meeting.current_item", |m, _txn| {
            let agenda = m.published().ok_or_else(|| refused(Refusal::NotPublished))?;
            if item.is_some_and(|i| i == 0 || i > agenda.questions.len()) {
                return Err(refused(Refusal::NoSuchQuestion));
            }
            if now() < m.starts_at {
                return Err(refused(Refusal::NotStarted));
            }
            m.current_item = item;
            Ok((m.readers(), AfterCommit::default()))
        })?;
    let topic = format!("meeting:{id}");
    for user in readers {
        app.notifier.publish(
            user,
            crate::notify::sse::LiveEvent {
                kind: "change",
                topic: topic.clone(),
                unread: None,
                item: None,
            },
        );
    }
    Ok(())
}
