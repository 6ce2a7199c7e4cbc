//! A poll as one person sees it: state, options in their language, the tally (unless the
//! poll hides it until it closes), the quorum and outcome, their own ballot, and for named
//! polls who chose what (the roll call the minutes of a meeting need).

use std::collections::HashMap;

use serde::Serialize;

use super::model::*;
use super::service::{labels, now};
use super::store;
use crate::actor::Actor;
use crate::app::App;
use crate::auth::policy::{Action, Object, PollAction, require};
use crate::error::{Error, Result};
use crate::portal::directory::service as directory;

#[derive(Debug, Clone, Serialize)]
pub struct OptionView {
    pub key: String,
    pub label: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct CountView {
    pub key: String,
    pub label: String,
    pub count: u64,
    /// Share of the ballots cast, whole percent.
    pub percent: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct ClosingView {
    pub at: String,
    pub early: bool,
    /// Who closed it (empty when the server closed it at its time).
    pub by: String,
    pub reason: String,
}

/// The viewer's own place in the poll.
#[derive(Debug, Clone, Serialize, Default)]
pub struct MyBallot {
    /// They hold a seat that has not voted, and the poll is open.
    pub may_vote: bool,
    pub voted: bool,
    /// Their choice in a named poll.
    pub choice: Option<String>,
    /// The seat they hold (their own, or the member's they replace).
    pub seat: Option<u64>,
    /// The member they vote for, when they are a substitute.
    pub replacing: Option<String>,
    /// A substitute holds their seat.
    pub replaced_by: Option<String>,
}

/// One seat of the electorate.
#[derive(Debug, Clone, Serialize)]
pub struct SeatView {
    pub member: u64,
    pub login: String,
    pub name: String,
    pub substitute: Option<String>,
    pub voted: bool,
    /// Named polls, when results are shown.
    pub choice: Option<String>,
    pub choice_label: Option<String>,
    /// Signed polls: `valid`, or the reason the signature was refused at the time.
    pub signature: Option<String>,
    /// Named polls: who cast it and when (UTC).
    pub cast_by: Option<String>,
    pub cast_at: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PollView {
    pub id: u64,
    pub subject: String,
    pub link: String,
    /// `scheduled`, `open` or `closed`.
    pub state: &'static str,
    pub secrecy: &'static str,
    pub signed: bool,
    pub majority: &'static str,
    pub quorum_percent: u8,
    pub quorum_needed: u64,
    pub hide_until_closed: bool,
    pub opens_at: String,
    pub closes_at: String,
    pub options: Vec<OptionView>,
    /// `None` while hidden.
    pub tally: Option<Vec<CountView>>,
    pub voted: u64,
    pub electorate: u64,
    pub quorum_reached: bool,
    /// `accepted`, `rejected`, `chosen`, `no_decision`; `None` while open or without quorum.
    pub outcome: Option<&'static str>,
    pub chosen: Option<String>,
    pub chosen_label: Option<String>,
    pub closing: Option<ClosingView>,
    pub me: MyBallot,
    pub seats: Vec<SeatView>,
}

impl PollView {
    pub fn is_open(&self) -> bool {
        self.state == "open"
    }

    pub fn is_closed(&self) -> bool {
        self.state == "closed"
    }
}

/// The poll for someone in its electorate or watching it ([`PollAction::Read`]).
pub fn view(app: &App, actor: &Actor, id: u64, lang: &str) -> Result<PollView> {
    let poll = {
        let txn = app.db.read()?;
        store::get(&txn, id)?.ok_or_else(Error::not_found)?
    };
    let electorate = poll.electorate_people();
    require(
        actor,
        Action::Poll(PollAction::Read),
        Object::Poll { electorate: &electorate, watchers: &poll.watchers },
    )?;
    build(app, actor, &poll, lang)
}

/// The poll shown on its subject's page: the owning feature has checked that the actor may
/// read the subject (a draft's reader sees its absentee vote).
pub fn view_within_subject(app: &App, actor: &Actor, poll: &Poll, lang: &str) -> Result<PollView> {
    build(app, actor, poll, lang)
}

fn label_of(app: &App, poll: &Poll, own: &[String], key: &str, lang: &str) -> String {
    if poll.has_own_options() {
        let index = poll.options.iter().position(|o| o == key).unwrap_or(0);
        own.get(index).cloned().unwrap_or_else(|| key.to_owned())
    } else {
        app.i18n.text(lang, &format!("poll-choice-{key}"))
    }
}

fn build(app: &App, actor: &Actor, poll: &Poll, lang: &str) -> Result<PollView> {
    let now = now();
    let state = poll.state_at(&now);
    let txn = app.db.read()?;
    let counts = match &poll.result {
        Some(r) => r.counts.clone(),
        None => store::counts(&txn, poll)?,
    };
    let named: HashMap<u64, store::NamedBallot> = match poll.secrecy {
        Secrecy::Named => {
            store::named_ballots(&txn.open_table(store::BALLOTS)?, poll.id)?.into_iter().collect()
        }
        Secrecy::Secret => HashMap::new(),
    };
    let voted_seats: Vec<u64> = match poll.secrecy {
        Secrecy::Named => named.keys().copied().collect(),
        Secrecy::Secret => store::voted_seats(&txn, poll)?,
    };
    drop(txn);
    let electorate = if poll.seats.is_empty() {
        // Not open yet: the electorate as it would be now.
        let mut people = poll.members.clone();
        if let Some(g) = poll.group {
            people.extend(directory::group_members(app, g)?);
        }
        people.sort_unstable();
        people.dedup();
        people.len() as u64
    } else {
        poll.seats.len() as u64
    };
    let tally = match &poll.result {
        Some(r) => r.clone(),
        None => super::model::tally(
            poll.has_own_options(),
            counts,
            electorate,
            poll.majority,
            poll.quorum_percent,
            state == State::Closed,
        ),
    };
    let own = if poll.has_own_options() { labels(app, poll) } else { Vec::new() };
    let label = |key: &str| label_of(app, poll, &own, key, lang);
    let shown = state == State::Closed || !poll.hide_until_closed;
    let mut ids: Vec<u64> =
        poll.seats.iter().flat_map(|s| [Some(s.member), s.substitute]).flatten().collect();
    ids.extend(named.values().map(|b| b.by));
    ids.extend(poll.closing.as_ref().and_then(|c| c.by));
    let people: HashMap<u64, (String, String)> = directory::user_names(app, &ids, lang)?
        .into_iter()
        .map(|(id, login, name)| (id, (login, name)))
        .collect();
    let name = |id: u64| people.get(&id).map(|p| p.1.clone()).unwrap_or_default();
    let me = actor.user_id().unwrap_or(0);
    let my_seat = poll.seat_of(me).copied();
    let replaced = poll.seats.iter().find(|s| s.member == me && s.substitute.is_some());
    let my_voted = my_seat.is_some_and(|s| voted_seats.contains(&s.member));
    let mine = MyBallot {
        may_vote: state == State::Open && my_seat.is_some() && !my_voted,
        voted: my_voted,
        choice: my_seat.and_then(|s| named.get(&s.member)).map(|b| b.choice.clone()),
        seat: my_seat.map(|s| s.member),
        replacing: my_seat.filter(|s| s.member != me).map(|s| name(s.member)),
        replaced_by: replaced.and_then(|s| s.substitute).map(name),
    };
    let seats = poll
        .seats
        .iter()
        .map(|s| {
            let ballot = named.get(&s.member).filter(|_| shown);
            SeatView {
                member: s.member,
                login: people.get(&s.member).map(|p| p.0.clone()).unwrap_or_default(),
                name: name(s.member),
                substitute: s.substitute.map(name),
                voted: voted_seats.contains(&s.member),
                choice: ballot.map(|b| b.choice.clone()),
                choice_label: ballot.map(|b| label(&b.choice)),
                signature: ballot.and_then(|b| b.signature.as_ref()).map(|sig| {
                    match &sig.verdict {
                        crate::sign::Verdict::Valid(_) => "valid".to_owned(),
                        crate::sign::Verdict::Invalid(r) => r.reason.name().to_owned(),
                    }
                }),
                cast_by: ballot.map(|b| name(b.by)),
                cast_at: ballot.map(|b| b.at.clone()),
            }
        })
        .collect();
    let voted = tally.voted;
    Ok(PollView {
        id: poll.id,
        subject: poll.subject.clone(),
        link: poll.link.clone(),
        state: state.name(),
        secrecy: poll.secrecy.name(),
        signed: poll.signed,
        majority: poll.majority.name(),
        quorum_percent: poll.quorum_percent,
        quorum_needed: quorum_needed(electorate, poll.quorum_percent),
        hide_until_closed: poll.hide_until_closed,
        opens_at: poll.opens_at.clone(),
        closes_at: poll.closes_at.clone(),
        options: poll
            .options
            .iter()
            .map(|k| OptionView { key: k.clone(), label: label(k) })
            .collect(),
        tally: shown.then(|| {
            tally
                .counts
                .iter()
                .map(|(k, n)| CountView {
                    key: k.clone(),
                    label: label(k),
                    count: *n,
                    percent: (n * 100).checked_div(voted).unwrap_or(0),
                })
                .collect()
        }),
        voted,
        electorate,
        quorum_reached: tally.quorum_reached,
        outcome: tally.outcome.map(Outcome::name),
        chosen: tally.chosen.clone(),
        chosen_label: tally.chosen.as_deref().map(label),
        closing: poll.closing.as_ref().map(|c| ClosingView {
            at: c.at.clone(),
            early: c.early,
            by: c.by.map(name).unwrap_or_default(),
            reason: c.reason.clone(),
        }),
        me: mine,
        seats,
    })
}
