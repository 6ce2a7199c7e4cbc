//! Proposal use cases (I617 §39–§41): proposing, supporting, reviewing, and what people
//! read. Every change: the policy, the model's verdict, then in ONE transaction the
//! proposal, the notices and the access-log entry.

use std::collections::HashMap;

use redb::WriteTransaction;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::model::{Proposal, Status, Step, query_words};
use super::store;
use crate::actor::Actor;
use crate::app::App;
use crate::auth::policy::{Action, Object, ProposalAction, decide, require};
use crate::auth::roles::Role;
use crate::error::{Code, Error, Result};
use crate::notify::{self, AfterCommit, Arg, Notice, Recipient};
use crate::portal::directory::model::{clean_paragraphs, clean_text};
use crate::portal::directory::service as directory;

pub const MAX_TITLE: usize = 200;
pub const MAX_TEXT: usize = 10_000;
pub const MAX_VERSION: usize = 40;

fn now() -> String {
    crate::clock::utc_string(crate::clock::now())
}

fn object(p: &Proposal) -> Object<'static> {
    Object::Proposal { author: p.author_id }
}

fn refused(key: &'static str) -> Error {
    Error::new(Code::Conflict).with_detail_key(key)
}

fn required(field: &str, value: String) -> Result<String> {
    if value.is_empty() { Err(Error::invalid(field, "field-required")) } else { Ok(value) }
}

fn notice(key: &'static str, p: &Proposal) -> Notice {
    Notice::new(key, format!("/proposals/{}", p.id), format!("proposal:{}", p.id))
        .arg("title", p.title.clone())
        .arg("status", Arg::Message(p.status.message_key()))
        .arg("version", p.version.clone())
}

fn tell(app: &App, txn: &WriteTransaction, to: &[Recipient], n: &Notice) -> Result<AfterCommit> {
    notify::enqueue_in(app, txn, to, n)
}

/// A proposal as typed (page form or API).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct NewProposal {
    pub title: String,
    pub text: String,
    pub justification: String,
}

/// Records a proposal and tells the support administrators.
pub fn propose(app: &App, actor: &Actor, input: &NewProposal) -> Result<Proposal> {
    let me = actor.user().ok_or_else(Error::forbidden)?;
    require(actor, Action::Proposal(ProposalAction::Propose), Object::Agency(me.agency_id))?;
    let title = required("title", clean_text("title", &input.title, MAX_TITLE)?)?;
    let text = required("text", clean_paragraphs("text", &input.text, MAX_TEXT)?)?;
    let justification = required(
        "justification",
        clean_paragraphs("justification", &input.justification, MAX_TEXT)?,
    )?;
    let admins: Vec<u64> =
        directory::holders_of(app, Role::SupportAdmin)?.into_iter().map(|u| u.id).collect();
    let admins = directory::recipients_by_id(app, &admins)?;
    let (p, after) = app.audit.change(actor, "proposal.create", |txn| {
        let at = now();
        let p = Proposal {
            id: crate::db::next_id(txn, "proposal")?,
            author_id: me.id,
            agency_id: me.agency_id,
            title: title.clone(),
            text: text.clone(),
            justification: justification.clone(),
            status: Status::Submitted,
            version: String::new(),
            supporters: Vec::new(),
            steps: Vec::new(),
            created: at.clone(),
            updated: at,
        };
        store::put(txn, &p)?;
        let after = tell(app, txn, &admins, &notice("proposal-new", &p))?;
        let detail = json!({"proposal": p.id, "title": p.title});
        Ok(((p, after), Some(detail)))
    })?;
    notify::after_commit(app, after);
    Ok(p)
}

fn load(app: &App, id: u64) -> Result<Proposal> {
    let txn = app.db.read()?;
    store::get(&txn, id)?.ok_or_else(Error::not_found)
}

/// Adds the actor's support: once per person, never the author's own, never to a settled
/// proposal.
pub fn support(app: &App, actor: &Actor, id: u64) -> Result<Proposal> {
    let p = load(app, id)?;
    require(actor, Action::Proposal(ProposalAction::Support), object(&p))?;
    let me = actor.user_id().ok_or_else(Error::forbidden)?;
    app.audit.change(actor, "proposal.support", |txn| {
        let mut p = store::get_in(txn, id)?.ok_or_else(Error::not_found)?;
        if p.supporters.contains(&me) {
            return Err(refused("proposal-supported-already"));
        }
        if p.status.is_settled() {
            return Err(refused("proposal-settled"));
        }
        p.supporters.push(me);
        store::put(txn, &p)?;
        let detail = json!({"proposal": id, "supporters": p.supporters.len()});
        Ok((p, Some(detail)))
    })
}

/// A review step as typed.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Review {
    pub status: String,
    /// The planned version (accepting) or the version it shipped in (implemented).
    pub version: String,
    /// The explanation to the proposer; required when rejecting.
    pub note: String,
}

/// The support administrator's step; the proposer and the supporters are told.
pub fn review(app: &App, actor: &Actor, id: u64, input: &Review) -> Result<Proposal> {
    let p = load(app, id)?;
    require(actor, Action::Proposal(ProposalAction::Review), object(&p))?;
    let to = Status::parse(&input.status)
        .ok_or_else(|| Error::invalid("status", "proposal-status-invalid"))?;
    let mut version = clean_text("version", &input.version, MAX_VERSION)?;
    let note = clean_paragraphs("note", &input.note, MAX_TEXT)?;
    if matches!(to, Status::Accepted | Status::Implemented) && version.is_empty() {
        if to == Status::Implemented && !p.version.is_empty() {
            version = p.version.clone();
        } else {
            return Err(Error::invalid("version", "proposal-version-required"));
        }
    }
    if to == Status::Rejected && note.is_empty() {
        return Err(Error::invalid("note", "proposal-explanation-required"));
    }
    let me = actor.user_id().unwrap_or(0);
    let (p, after) = app.audit.change(actor, "proposal.review", |txn| {
        let mut p = store::get_in(txn, id)?.ok_or_else(Error::not_found)?;
        let from = p.status;
        if !from.may_become(to) {
            return Err(refused("proposal-step-not-allowed")
                .with_field("status")
                .with_detail(format!("{} → {}", from.name(), to.name())));
        }
        let at = now();
        p.status = to;
        if matches!(to, Status::Accepted | Status::Implemented) {
            p.version = version.clone();
        }
        p.steps.push(Step {
            at: at.clone(),
            by: me,
            to,
            version: version.clone(),
            note: note.clone(),
        });
        p.updated = at;
        store::put(txn, &p)?;
        let mut ids = vec![p.author_id];
        ids.extend(p.supporters.iter().copied());
        let key = match to {
            Status::Accepted | Status::Implemented => "proposal-outcome-version",
            _ => "proposal-outcome",
        };
        let n = notice(key, &p).arg("note", note.clone());
        let after = tell(app, txn, &directory::recipients_by_id(app, &ids)?, &n)?;
        let detail =
            json!({"proposal": id, "from": from.name(), "to": to.name(), "version": p.version});
        Ok(((p, after), Some(detail)))
    })?;
    notify::after_commit(app, after);
    Ok(p)
}

// ---------------------------------------------------------------------------------------
// What people read

#[derive(Debug, Clone, Serialize)]
pub struct PersonRef {
    pub login: String,
    pub name: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct StepView {
    pub at: String,
    pub by: Option<PersonRef>,
    pub status: Status,
    pub version: String,
    pub note: String,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Abilities {
    pub support: bool,
    pub review: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct ProposalView {
    pub id: u64,
    pub title: String,
    pub text: String,
    pub justification: String,
    pub status: Status,
    pub version: String,
    pub author: Option<PersonRef>,
    /// The author's agency (its code).
    pub agency: String,
    pub supporters: usize,
    pub supported_by_me: bool,
    pub steps: Vec<StepView>,
    pub created: String,
    pub updated: String,
    pub can: Abilities,
}

/// A list's filter: words to find, a status, the order (`support`, the default: the most
/// supported first; `new`: the newest first).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ListQuery {
    pub q: String,
    pub status: String,
    pub sort: String,
}

struct Names {
    users: HashMap<u64, crate::portal::directory::model::User>,
    agencies: HashMap<u64, crate::portal::directory::model::Agency>,
    lang: String,
}

impl Names {
    fn load(app: &App, lang: &str) -> Result<Names> {
        Ok(Names {
            users: directory::every_user_by_id(app)?,
            agencies: directory::agencies_by_id(app)?,
            lang: lang.to_owned(),
        })
    }

    fn person(&self, id: u64) -> Option<PersonRef> {
        self.users.get(&id).map(|u| PersonRef {
            login: u.login.clone(),
            name: u.display_name(&self.lang).to_owned(),
        })
    }

    fn view(&self, actor: &Actor, p: Proposal) -> ProposalView {
        let me = actor.user_id().unwrap_or(0);
        let may = |a| decide(actor, Action::Proposal(a), object(&p));
        let supported_by_me = p.supporters.contains(&me);
        let can = Abilities {
            support: may(ProposalAction::Support) && !supported_by_me && !p.status.is_settled(),
            review: may(ProposalAction::Review) && !p.status.is_settled(),
        };
        ProposalView {
            id: p.id,
            author: self.person(p.author_id),
            agency: self.agencies.get(&p.agency_id).map(|a| a.code.clone()).unwrap_or_default(),
            supporters: p.supporters.len(),
            supported_by_me,
            steps: p
                .steps
                .iter()
                .map(|s| StepView {
                    at: s.at.clone(),
                    by: self.person(s.by),
                    status: s.to,
                    version: s.version.clone(),
                    note: s.note.clone(),
                })
                .collect(),
            title: p.title,
            text: p.text,
            justification: p.justification,
            status: p.status,
            version: p.version,
            created: p.created,
            updated: p.updated,
            can,
        }
    }
}

/// Proposals found by `query`, the most supported first unless asked otherwise.
pub fn list(app: &App, actor: &Actor, query: &ListQuery, lang: &str) -> Result<Vec<ProposalView>> {
    require(actor, Action::Proposal(ProposalAction::Read), Object::Appliance)?;
    let status = match query.status.trim() {
        "" => None,
        s => Some(
            Status::parse(s).ok_or_else(|| Error::invalid("status", "proposal-status-invalid"))?,
        ),
    };
    let words = query_words(&query.q);
    let mut found: Vec<Proposal> = {
        let txn = app.db.read()?;
        store::all(&txn)?
    }
    .into_iter()
    .filter(|p| status.is_none_or(|s| p.status == s) && p.matches(&words))
    .collect();
    // The most supported first (the newest among equals), or simply the newest; an order it
    // does not know is refused like an unknown status.
    let by_support = match query.sort.trim() {
        "" | "support" => true,
        "new" => false,
        _ => return Err(Error::invalid("sort", "proposal-sort-invalid")),
    };
    found.sort_by_key(|p| {
        let support = if by_support { p.supporters.len() } else { 0 };
        (std::cmp::Reverse(support), std::cmp::Reverse(p.id))
    });
    let names = Names::load(app, lang)?;
    Ok(found.into_iter().map(|p| names.view(actor, p)).collect())
}

pub fn view(app: &App, actor: &Actor, id: u64, lang: &str) -> Result<ProposalView> {
    let p = load(app, id)?;
    require(actor, Action::Proposal(ProposalAction::Read), object(&p))?;
    Ok(Names::load(app, lang)?.view(actor, p))
}
