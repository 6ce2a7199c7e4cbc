//! The voting engine's use cases: create a poll inside the owning feature's transaction,
//! open and close it on time (the background job), take ballots, and tell live pages.
//!
//! A feature composes with the engine as drafts compose with documents: it checks its own
//! right to open or close a poll on its subject, then calls [`create_in`], [`update_in`],
//! [`close_in`] or [`set_substitute_in`] inside its own transaction. Ballots go through
//! [`cast`], which checks [`PollAction::Vote`] itself. The feature hears of openings and
//! closings made by the job through the [`Hooks`] it installed for its subject prefix.

use std::sync::OnceLock;

use redb::WriteTransaction;
use serde_json::json;

use super::model::*;
use super::store::{self, BallotSignature, NamedBallot};
use crate::actor::Actor;
use crate::app::App;
use crate::auth::policy::{Action, Object, PollAction, require};
use crate::error::{Code, Error, Result};
use crate::notify::{self, AfterCommit};

pub(super) fn now() -> String {
    crate::clock::utc_string(crate::clock::now())
}

/// The error for a refusal: its stable code and translated explanation; for a poll not
/// open (yet) the detail names the time in Astana time.
pub fn refused(poll: Option<&Poll>, r: Refusal) -> Error {
    let error = match r {
        Refusal::NotInElectorate => Error::new(Code::Forbidden),
        Refusal::UnknownChoice => Error::new(Code::InvalidInput).with_field("choice"),
        Refusal::SignatureRequired => Error::new(Code::InvalidInput).with_field("signature"),
        Refusal::BadTimes => Error::new(Code::InvalidInput).with_field("closes_at"),
        Refusal::BadOptions | Refusal::LabelsNeedDocument => {
            Error::new(Code::InvalidInput).with_field("options")
        }
        Refusal::BadQuorum => Error::new(Code::InvalidInput).with_field("quorum_percent"),
        Refusal::SecretCannotBeSigned => Error::new(Code::InvalidInput).with_field("signed"),
        Refusal::NoElectorate => Error::new(Code::InvalidInput).with_field("members"),
        _ => Error::new(Code::Conflict),
    }
    .with_detail_key(r.key());
    let at = |t: &str| {
        crate::clock::parse(t).map(|t| format!("{} (Astana)", crate::clock::local_display(t)))
    };
    match (poll, r) {
        (Some(p), Refusal::Closed) => {
            let when = p.closing.as_ref().map(|c| c.at.as_str()).unwrap_or(&p.closes_at);
            match at(when) {
                Some(t) => error.with_detail(t),
                None => error,
            }
        }
        (Some(p), Refusal::NotOpenYet) => match at(&p.opens_at) {
            Some(t) => error.with_detail(t),
            None => error,
        },
        _ => error,
    }
}

// ---------------------------------------------------------------------------------------
// Features hear of openings and closings made by the job

/// What the owning feature does, in the same transaction, when the job opens or closes
/// one of its polls (notices, its own state). Returns what to do after the commit.
pub type Hook = fn(&App, &WriteTransaction, &Poll) -> Result<AfterCommit>;

#[derive(Clone, Copy)]
pub struct Hooks {
    /// The subject prefix, e.g. `discussion` for `discussion:7`.
    pub prefix: &'static str,
    pub opened: Hook,
    pub closed: Hook,
}

static HOOKS: OnceLock<&'static [Hooks]> = OnceLock::new();

/// Installs the features' hooks (once, by the composition root: `portal::poll_hooks`).
pub fn install_hooks(hooks: &'static [Hooks]) {
    let _ = HOOKS.set(hooks);
}

fn hooks_for(subject: &str) -> Option<Hooks> {
    let prefix = subject.split(':').next().unwrap_or("");
    HOOKS.get().and_then(|all| all.iter().find(|h| h.prefix == prefix).copied())
}

// ---------------------------------------------------------------------------------------
// Creating, changing, closing — inside the owning feature's transaction

/// What a feature asks for.
#[derive(Debug, Clone)]
pub struct PollSpec {
    pub subject: String,
    pub link: String,
    pub document_id: Option<u64>,
    pub options: Options,
    pub secrecy: Secrecy,
    pub signed: bool,
    pub majority: Majority,
    pub quorum_percent: u8,
    pub hide_until_closed: bool,
    /// UTC, stored form.
    pub opens_at: String,
    pub closes_at: String,
    pub members: Vec<u64>,
    pub group: Option<u64>,
    pub watchers: Vec<u64>,
    pub ballot_header: Vec<(String, String)>,
}

impl PollSpec {
    /// Defaults for a subject: for / against, named, unsigned, simple majority, quorum of
    /// half the electorate, open from now for `days`.
    pub fn for_against(subject: String, link: String, days: u64) -> PollSpec {
        let now = crate::clock::now();
        PollSpec {
            subject,
            link,
            document_id: None,
            options: Options::default(),
            secrecy: Secrecy::Named,
            signed: false,
            majority: Majority::Simple,
            quorum_percent: 50,
            hide_until_closed: false,
            opens_at: crate::clock::utc_string(now),
            closes_at: crate::clock::utc_string(
                now + jiff::SignedDuration::from_hours(24 * days.max(1) as i64),
            ),
            members: Vec::new(),
            group: None,
            watchers: Vec::new(),
            ballot_header: Vec::new(),
        }
    }

    fn check(&self, now: &str) -> std::result::Result<(), Refusal> {
        self.options.check()?;
        if self.options.is_custom() && self.document_id.is_none() {
            return Err(Refusal::LabelsNeedDocument);
        }
        if self.secrecy == Secrecy::Secret && self.signed {
            return Err(Refusal::SecretCannotBeSigned);
        }
        if self.quorum_percent > 100 {
            return Err(Refusal::BadQuorum);
        }
        let valid = |t: &str| crate::clock::parse(t).is_some();
        if !valid(&self.opens_at)
            || !valid(&self.closes_at)
            || self.closes_at <= self.opens_at
            || self.closes_at.as_str() <= now
        {
            return Err(Refusal::BadTimes);
        }
        if self.members.is_empty() && self.group.is_none() {
            return Err(Refusal::NoElectorate);
        }
        Ok(())
    }
}

fn labels_aad(poll: u64) -> Vec<u8> {
    format!("ipgo-poll-labels:{poll}").into_bytes()
}

fn seal_labels(
    app: &App,
    poll: u64,
    document: Option<u64>,
    options: &Options,
) -> Result<Option<Vec<u8>>> {
    let Options::Custom { labels } = options else { return Ok(None) };
    let doc = document.ok_or_else(|| refused(None, Refusal::LabelsNeedDocument))?;
    let key = app.vault.key(doc).ok_or_else(Error::not_found)?;
    let labels: Vec<&str> = labels.iter().map(|l| l.trim()).collect();
    Ok(Some(crate::vault::seal(&key, &labels_aad(poll), &serde_json::to_vec(&labels)?)))
}

/// The labels of a poll's own options (numbers if its document's key is gone).
pub fn labels(app: &App, poll: &Poll) -> Vec<String> {
    let opened = poll.sealed_labels.as_ref().zip(poll.document_id).and_then(|(sealed, doc)| {
        let key = app.vault.key(doc)?;
        let plain = crate::vault::open_sealed(&key, &labels_aad(poll.id), sealed)?;
        serde_json::from_slice::<Vec<String>>(&plain).ok()
    });
    opened.unwrap_or_else(|| poll.options.clone())
}

fn apply(app: &App, poll: &mut Poll, spec: PollSpec) -> Result<()> {
    poll.sealed_labels = seal_labels(app, poll.id, spec.document_id, &spec.options)?;
    poll.subject = spec.subject;
    poll.link = spec.link;
    poll.document_id = spec.document_id;
    poll.options = spec.options.keys();
    // A live count watched beside the list of who voted would tell who chose what.
    poll.hide_until_closed = spec.hide_until_closed || spec.secrecy == Secrecy::Secret;
    poll.secrecy = spec.secrecy;
    poll.signed = spec.signed;
    poll.majority = spec.majority;
    poll.quorum_percent = spec.quorum_percent;
    poll.opens_at = spec.opens_at;
    poll.closes_at = spec.closes_at;
    let mut members = spec.members;
    members.sort_unstable();
    members.dedup();
    poll.members = members;
    poll.group = spec.group;
    let mut watchers = spec.watchers;
    watchers.sort_unstable();
    watchers.dedup();
    poll.watchers = watchers;
    poll.ballot_header = spec.ballot_header;
    Ok(())
}

/// Creates a poll in the caller's transaction; it opens at once when its opening time has
/// come (its electorate frozen now). The caller has checked its right to do so and logs
/// the step (its access-log entry should name the poll).
pub fn create_in(app: &App, txn: &WriteTransaction, spec: PollSpec, by: u64) -> Result<Poll> {
    let now = now();
    spec.check(&now).map_err(|r| refused(None, r))?;
    let mut poll = Poll {
        id: crate::db::next_id(txn, "poll")?,
        subject: String::new(),
        link: String::new(),
        document_id: None,
        options: Vec::new(),
        sealed_labels: None,
        secrecy: Secrecy::Named,
        signed: false,
        majority: Majority::Simple,
        quorum_percent: 0,
        hide_until_closed: false,
        opens_at: String::new(),
        closes_at: String::new(),
        members: Vec::new(),
        group: None,
        seats: Vec::new(),
        watchers: Vec::new(),
        ballot_header: Vec::new(),
        state: State::Scheduled,
        opened: None,
        closing: None,
        result: None,
        created: now.clone(),
        created_by: by,
    };
    apply(app, &mut poll, spec)?;
    if poll.opens_at.as_str() <= now.as_str() {
        let group = group_members(app, poll.group)?;
        poll.open(&group, &now).map_err(|r| refused(Some(&poll), r))?;
    }
    store::put(txn, &poll, None)?;
    Ok(poll)
}

/// Changes a poll that has not opened; once open, options, rule, secrecy and electorate
/// are frozen (`poll-frozen`).
pub fn update_in(app: &App, txn: &WriteTransaction, id: u64, spec: PollSpec) -> Result<Poll> {
    let now = now();
    let before = store::get_in(txn, id)?.ok_or_else(Error::not_found)?;
    if before.state != State::Scheduled || before.state_at(&now) != State::Scheduled {
        return Err(refused(Some(&before), Refusal::Frozen));
    }
    spec.check(&now).map_err(|r| refused(Some(&before), r))?;
    let mut poll = before.clone();
    apply(app, &mut poll, spec)?;
    store::put(txn, &poll, Some(&before))?;
    Ok(poll)
}

/// Closes an open (or scheduled) poll before its time, e.g. when the initiator ends a
/// discussion early (I385 §54); its result is computed from the stored ballots.
pub fn close_in(txn: &WriteTransaction, id: u64, by: Option<u64>, reason: &str) -> Result<Poll> {
    let now = now();
    let before = store::get_in(txn, id)?.ok_or_else(Error::not_found)?;
    let early = now.as_str() < before.closes_at.as_str();
    let mut poll = before.clone();
    let counts = store::counts_in(txn, &poll)?;
    let result = tally(
        poll.has_own_options(),
        counts,
        poll.seats.len() as u64,
        poll.majority,
        poll.quorum_percent,
        true,
    );
    poll.close(result, Closing { at: now, by, early, reason: reason.to_owned() })
        .map_err(|r| refused(Some(&before), r))?;
    store::put(txn, &poll, Some(&before))?;
    Ok(poll)
}

/// Names who votes in `member`'s place (a substitute for one meeting), or nobody.
pub fn set_substitute_in(
    txn: &WriteTransaction,
    id: u64,
    member: u64,
    substitute: Option<u64>,
) -> Result<Poll> {
    let before = store::get_in(txn, id)?.ok_or_else(Error::not_found)?;
    let mut poll = before.clone();
    let voted = store::seat_voted_in(txn, &poll, member)?;
    poll.substitute(member, substitute, voted).map_err(|r| refused(Some(&before), r))?;
    store::put(txn, &poll, Some(&before))?;
    Ok(poll)
}

fn group_members(app: &App, group: Option<u64>) -> Result<Vec<u64>> {
    match group {
        Some(g) => crate::portal::directory::service::group_members(app, g),
        None => Ok(Vec::new()),
    }
}

// ---------------------------------------------------------------------------------------
// The job: opening and closing on time

/// Opens every scheduled poll whose time has come and closes every open poll whose
/// closing time has passed; each step is one transaction with its access-log entry and the
/// owning feature's hook. Returns how many polls changed.
pub fn run_due(app: &App) -> Result<usize> {
    let due = {
        let txn = app.db.read()?;
        store::due(&txn, &now())?
    };
    let mut changed = 0;
    for id in due {
        match step_due(app, id) {
            Ok(true) => changed += 1,
            Ok(false) => {}
            Err(e) => tracing::error!(poll = id, error = %e, "opening or closing a poll failed"),
        }
    }
    Ok(changed)
}

/// Opens or closes one poll if it is due; `false` if there was nothing to do.
fn step_due(app: &App, id: u64) -> Result<bool> {
    let poll = load(app, id)?;
    let now = now();
    let actor = Actor::system_job_bypassing_user_policy("polls");
    let (operation, opening) = match (poll.state, poll.state_at(&now)) {
        (State::Scheduled, State::Open) => ("poll.open", true),
        (State::Scheduled | State::Open, State::Closed) => ("poll.close", false),
        _ => return Ok(false),
    };
    let group = if opening { group_members(app, poll.group)? } else { Vec::new() };
    let done = app.audit.change(&actor, operation, |txn| {
        let before = store::get_in(txn, id)?.ok_or_else(Error::not_found)?;
        if before.state != poll.state {
            return Ok((None, None));
        }
        let changed = if opening {
            let mut p = before.clone();
            if let Err(r) = p.open(&group, &now) {
                // Nobody to vote: the poll closes without a result rather than wait.
                tracing::warn!(poll = id, refusal = r.key(), "a poll could not open");
                close_in(txn, id, None, r.key())?
            } else {
                store::put(txn, &p, Some(&before))?;
                p
            }
        } else {
            close_in(txn, id, None, "")?
        };
        let hook = hooks_for(&changed.subject);
        let after = match (hook, changed.state) {
            (Some(h), State::Open) => (h.opened)(app, txn, &changed)?,
            (Some(h), State::Closed) => (h.closed)(app, txn, &changed)?,
            _ => AfterCommit::default(),
        };
        let detail = json!({"poll": id, "subject": changed.subject, "state": changed.state.name()});
        Ok((Some((changed, after)), Some(detail)))
    })?;
    match done {
        Some((poll, after)) => {
            notify::after_commit(app, after);
            published(app, &poll);
            Ok(true)
        }
        None => Ok(false),
    }
}

// ---------------------------------------------------------------------------------------
// Ballots

fn load(app: &App, id: u64) -> Result<Poll> {
    let txn = app.db.read()?;
    store::get(&txn, id)?.ok_or_else(Error::not_found)
}

/// A poll for the owning feature (no policy: the feature checked its subject).
pub fn get(app: &App, id: u64) -> Result<Poll> {
    load(app, id)
}

/// The polls of a subject, oldest first.
pub fn of_subject(app: &App, subject: &str) -> Result<Vec<Poll>> {
    let txn = app.db.read()?;
    let mut out = Vec::new();
    for id in store::of_subject(&txn, subject)? {
        out.extend(store::get(&txn, id)?);
    }
    Ok(out)
}

/// Checks [`PollAction::Vote`]; a refusal to someone who may see the poll says why.
fn require_vote(actor: &Actor, poll: &Poll) -> Result<()> {
    let electorate = poll.electorate_people();
    let object = Object::Poll { electorate: &electorate, watchers: &poll.watchers };
    require(actor, Action::Poll(PollAction::Vote), object).map_err(|e| {
        if e.code == Code::Forbidden {
            e.with_detail_key(Refusal::NotInElectorate.key())
        } else {
            e
        }
    })
}

/// Opens the poll now if its opening time has come but the job has not run yet.
fn open_if_due(app: &App, poll: Poll) -> Result<Poll> {
    if poll.state == State::Scheduled && poll.state_at(&now()) != State::Scheduled {
        step_due(app, poll.id)?;
        return load(app, poll.id);
    }
    Ok(poll)
}

/// The exact text the person signs to vote for `choice` in a signed poll (I385 §23).
pub fn ballot_text(app: &App, actor: &Actor, id: u64, choice: &str) -> Result<Vec<u8>> {
    let poll = load(app, id)?;
    require_vote(actor, &poll)?;
    actor.origin.set_operation("poll.ballot_text");
    let poll = open_if_due(app, poll)?;
    let me = actor.user_id().ok_or_else(Error::forbidden)?;
    let member = poll.check_ballot(me, choice, &now()).map_err(|r| refused(Some(&poll), r))?;
    Ok(poll.ballot_text(member, choice))
}

/// Casts the person's ballot (I385 §23–§24, §46, §53): one per seat, while the poll is
/// open; with a CMS signature over [`ballot_text`] when the poll requires it. `operation`
/// names the step in the access log (`poll.ballot`, or the feature's own, e.g.
/// `draft.vote`); a secret ballot's entry names the poll only.
pub fn cast(
    app: &App,
    actor: &Actor,
    id: u64,
    choice: &str,
    cms: Option<&[u8]>,
    operation: &str,
) -> Result<()> {
    let poll = load(app, id)?;
    require_vote(actor, &poll)?;
    // A ballot the engine refuses is logged under the same step as a counted one.
    actor.origin.set_operation(operation);
    let poll = open_if_due(app, poll)?;
    let me = actor.user_id().ok_or_else(Error::forbidden)?;
    let now = now();
    let member = poll.check_ballot(me, choice, &now).map_err(|r| refused(Some(&poll), r))?;
    let signature = match (poll.signed, cms.filter(|c| !c.is_empty())) {
        (false, _) => None,
        (true, None) => return Err(refused(Some(&poll), Refusal::SignatureRequired)),
        (true, Some(cms)) => {
            let text = poll.ballot_text(member, choice);
            let verdict = crate::sign::service::verify_for_user(app, Some(me), &text, cms)?;
            if let crate::sign::Verdict::Invalid(r) = verdict {
                return Err(r.into());
            }
            Some(BallotSignature { cms: crate::sign::store::b64(cms), verdict })
        }
    };
    let poll = app.audit.change(actor, operation, |txn| {
        let poll = store::get_in(txn, id)?.ok_or_else(Error::not_found)?;
        let member = poll.check_ballot(me, choice, &now).map_err(|r| refused(Some(&poll), r))?;
        if store::seat_voted_in(txn, &poll, member)? {
            return Err(refused(Some(&poll), Refusal::AlreadyVoted));
        }
        match poll.secrecy {
            Secrecy::Named => store::put_named(
                txn,
                id,
                member,
                &NamedBallot { choice: choice.to_owned(), by: me, at: now.clone(), signature },
            )?,
            Secrecy::Secret => store::put_secret(txn, id, member, choice)?,
        }
        Ok((poll, Some(json!({"poll": id}))))
    })?;
    published(app, &poll);
    Ok(())
}

/// Tells the open pages of everyone who may see the poll that it changed (a count, its
/// state); the pages fetch the poll again through the access-checked API.
pub fn published(app: &App, poll: &Poll) {
    let topic = format!("poll:{}", poll.id);
    for user in poll.audience() {
        app.notifier.publish(
            user,
            crate::notify::sse::LiveEvent {
                kind: "poll",
                topic: topic.clone(),
                unread: None,
                item: None,
            },
        );
    }
}
