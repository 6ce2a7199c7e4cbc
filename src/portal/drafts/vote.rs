//! The absentee vote on a draft act (I385 §22–§25) on the voting engine: OKDO opens a named
//! poll of the listed heads on the current version, each head signs a ballot that names
//! the draft, the version's manifest and the choice, the poll closes by itself after
//! `drafts.vote_days` (or when OKDO sets the final status), and OKDO is told the result.

use redb::WriteTransaction;

use super::model::*;
use super::service::{load, notice, now, object, okdo, refused, step, tell, title_of};
use super::store;
use crate::actor::Actor;
use crate::app::App;
use crate::auth::policy::{Action, DraftAction, require};
use crate::auth::roles::Role;
use crate::error::{Error, Result};
use crate::notify::{AfterCommit, Arg};
use crate::portal::directory::service as directory;
use crate::portal::documents::signatures;
use crate::portal::polls::model::{Majority, Options, Poll, Secrecy, State};
use crate::portal::polls::service::{self as polls, PollSpec};

/// §22: OKDO opens an absentee vote of the listed heads on the current version.
pub fn open_vote(app: &App, actor: &Actor, id: u64, logins: &[String]) -> Result<()> {
    let (_, heads) = directory::resolve_access_names(app, &[], logins)?;
    for (login, head) in logins.iter().zip(&heads) {
        if !directory::holders_of(app, Role::Head)?.iter().any(|u| u.id == *head) {
            return Err(Error::invalid("heads", "draft-vote-not-head").with_detail(login.clone()));
        }
    }
    let d = load(app, id)?;
    require(actor, Action::Draft(DraftAction::Chancellery), object(&d))?;
    let me = actor.user_id().unwrap_or(0);
    // The ballot binds the choice to exactly this version's files (its manifest).
    let manifest = signatures::manifest(app, actor, d.document_id, d.version)?;
    let header = {
        use sha2::Digest as _;
        vec![
            ("draft".to_owned(), d.id.to_string()),
            ("document".to_owned(), d.document_id.to_string()),
            ("version".to_owned(), d.version.to_string()),
            ("manifest-sha256".to_owned(), hex::encode(sha2::Sha256::digest(&manifest))),
        ]
    };
    let watchers: Vec<u64> =
        directory::holders_of(app, Role::OkdoOfficer)?.into_iter().map(|u| u.id).collect();
    let config = &app.config.drafts;
    let opened = std::cell::RefCell::new(None);
    step(app, actor, id, Action::Draft(DraftAction::Chancellery), "draft.open_vote", &|d, txn| {
        let mut spec = PollSpec::for_against(
            format!("draft:{}", d.id),
            format!("/drafts/{}", d.id),
            config.vote_days,
        );
        spec.document_id = Some(d.document_id);
        spec.options = Options::ForAgainst { abstain: false };
        spec.secrecy = Secrecy::Named;
        spec.signed = true;
        spec.majority = Majority::parse(&config.vote_majority).unwrap_or(Majority::Simple);
        spec.quorum_percent = config.vote_quorum_percent;
        spec.members = heads.clone();
        spec.watchers = watchers.clone();
        spec.ballot_header = header.clone();
        let poll = polls::create_in(app, txn, spec, me)?;
        d.open_vote(poll.id, heads.clone(), me, &now()).map_err(refused)?;
        *opened.borrow_mut() = Some(poll);
        let title = title_of(app, d);
        tell(
            app,
            txn,
            &directory::recipients_by_id(app, &heads)?,
            &notice("draft-vote", d, &title, &[]),
        )
    })?;
    if let Some(poll) = opened.into_inner() {
        polls::published(app, &poll);
    }
    Ok(())
}

/// The draft's absentee vote, for a reader of the draft.
fn poll_of(app: &App, actor: &Actor, id: u64) -> Result<u64> {
    let d = load(app, id)?;
    require(actor, Action::Draft(DraftAction::Read), object(&d))?;
    d.poll.ok_or_else(|| refused(Refusal::WrongStage))
}

/// The exact bytes a head signs to vote (§23): the draft, the version's manifest, the head's
/// seat and the choice, so the signature covers the choice too.
pub fn ballot(app: &App, actor: &Actor, id: u64, choice: &str) -> Result<Vec<u8>> {
    let poll = poll_of(app, actor, id)?;
    polls::ballot_text(app, actor, poll, choice)
}

/// §23–§24: a head votes with a signature over the ballot.
pub fn vote(app: &App, actor: &Actor, id: u64, choice: &str, cms: &[u8]) -> Result<()> {
    let poll = poll_of(app, actor, id)?;
    polls::cast(app, actor, poll, choice, Some(cms), "draft.vote")
}

/// §25: when OKDO sets the final status during the vote, the poll closes with it.
pub(super) fn close_with_final_status(
    txn: &WriteTransaction,
    d: &mut Draft,
    by: u64,
) -> Result<Option<Poll>> {
    let Some(id) = d.poll else { return Ok(None) };
    let open =
        crate::portal::polls::store::get_in(txn, id)?.is_some_and(|p| p.state != State::Closed);
    if !open {
        return Ok(None);
    }
    let poll = polls::close_in(txn, id, Some(by), "final_status")?;
    d.vote_closed(
        poll.result.as_ref().and_then(|r| r.outcome).map(|o| o.name()).unwrap_or("no_quorum"),
        &now(),
    );
    Ok(Some(poll))
}

/// The engine opened a draft's poll (drafts open theirs at once; nothing to do).
pub fn poll_opened(_app: &App, _txn: &WriteTransaction, _poll: &Poll) -> Result<AfterCommit> {
    Ok(AfterCommit::default())
}

/// §24: the vote's time is over; OKDO is told the result and sets the final status.
pub fn poll_closed(app: &App, txn: &WriteTransaction, poll: &Poll) -> Result<AfterCommit> {
    let Some(id) = poll.subject.strip_prefix("draft:").and_then(|s| s.parse().ok()) else {
        return Ok(AfterCommit::default());
    };
    let Some(mut d) = store::get_in(txn, id)? else { return Ok(AfterCommit::default()) };
    let outcome =
        poll.result.as_ref().and_then(|r| r.outcome).map(|o| o.name()).unwrap_or("no_quorum");
    d.vote_closed(outcome, &now());
    store::put(txn, &d)?;
    let title = title_of(app, &d);
    tell(
        app,
        txn,
        &okdo(app)?,
        &notice(
            "draft-vote-closed",
            &d,
            &title,
            &[("outcome", Arg::Message(format!("poll-outcome-{outcome}")))],
        ),
    )
}

/// Moves absentee votes kept inside drafts by earlier versions onto the voting engine: a
/// named, signed poll with the same heads, ballots (choice, signer, time, CMS and its
/// verdict) and opening time; closed unless the draft is still voting. Runs when the
/// database opens; returns how many drafts it moved.
pub fn move_legacy_votes(txn: &WriteTransaction) -> Result<usize> {
    let legacy: Vec<Draft> = {
        let table = txn.open_table(store::DRAFTS)?;
        let mut out = Vec::new();
        for row in redb::ReadableTable::iter(&table)? {
            let d: Draft = serde_json::from_slice(row?.1.value())?;
            if d.legacy_vote.is_some() && d.poll.is_none() {
                out.push(d);
            }
        }
        out
    };
    for mut d in legacy.iter().cloned() {
        let vote = d.legacy_vote.take().unwrap_or_default();
        let heads: Vec<u64> = serde_json::from_value(vote["heads"].clone()).unwrap_or_default();
        let opened = vote["opened"].as_str().unwrap_or(&d.stage_since).to_owned();
        let id = crate::db::next_id(txn, "poll")?;
        let mut poll = Poll {
            id,
            subject: format!("draft:{}", d.id),
            link: format!("/drafts/{}", d.id),
            document_id: Some(d.document_id),
            options: Options::default().keys(),
            sealed_labels: None,
            secrecy: Secrecy::Named,
            signed: true,
            majority: Majority::Simple,
            quorum_percent: 0,
            hide_until_closed: false,
            opens_at: opened.clone(),
            closes_at: crate::clock::parse(&opened)
                .map(|t| crate::clock::utc_string(t + jiff::SignedDuration::from_hours(72)))
                .unwrap_or_else(|| opened.clone()),
            members: heads.clone(),
            group: None,
            seats: Vec::new(),
            watchers: Vec::new(),
            ballot_header: vec![
                ("draft".into(), d.id.to_string()),
                ("document".into(), d.document_id.to_string()),
                ("version".into(), vote["version"].to_string()),
            ],
            state: State::Scheduled,
            opened: None,
            closing: None,
            result: None,
            created: opened.clone(),
            created_by: 0,
        };
        poll.open(&[], &opened).ok();
        let ballots = txn.open_table(store::BALLOTS)?;
        let mut counts = vec![("for".to_owned(), 0u64), ("against".to_owned(), 0u64)];
        if let Some(map) = vote["ballots"].as_object() {
            for (user, b) in map {
                let Ok(user) = user.parse::<u64>() else { continue };
                let choice = b["choice"].as_str().unwrap_or("").to_owned();
                let signature = redb::ReadableTable::get(&ballots, (d.id, user))?
                    .and_then(|v| serde_json::from_slice::<serde_json::Value>(v.value()).ok())
                    .and_then(|v| serde_json::from_value(v).ok());
                counts.iter_mut().filter(|c| c.0 == choice).for_each(|c| c.1 += 1);
                crate::portal::polls::store::put_named(
                    txn,
                    id,
                    user,
                    &crate::portal::polls::store::NamedBallot {
                        choice,
                        by: user,
                        at: b["signed"]["at"].as_str().unwrap_or(&opened).to_owned(),
                        signature,
                    },
                )?;
            }
        }
        drop(ballots);
        if d.stage != Stage::Voting {
            let result = crate::portal::polls::model::tally(
                false,
                counts,
                heads.len() as u64,
                Majority::Simple,
                0,
                true,
            );
            let at = d.stage_since.clone();
            poll.close(
                result,
                crate::portal::polls::model::Closing {
                    at,
                    by: None,
                    early: true,
                    reason: "final_status".into(),
                },
            )
            .ok();
        }
        crate::portal::polls::store::put(txn, &poll, None)?;
        d.poll = Some(id);
        d.voters = heads;
        store::put(txn, &d)?;
    }
    Ok(legacy.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A draft written by an earlier version with its vote inside is moved onto the engine
    /// with its heads, ballots and signatures.
    #[test]
    fn a_legacy_vote_moves_onto_the_engine() {
        let dir = tempfile::tempdir().unwrap();
        let db = crate::db::Db::open(&dir.path().join("ipgo.redb")).unwrap();
        let stored = serde_json::json!({
            "id": 4, "document_id": 40, "developer_agency": 1, "approving_agencies": [2],
            "stage": "voting", "stage_since": "2026-11-22T04:00:00.000000Z", "version": 1,
            "developer_signature": null, "cover_letter": null, "approvals": [], "protocols": [],
            "chancellery": null, "minutes": null, "final_reason": "", "timeline": [],
            "created": "2026-11-20T04:00:00.000000Z",
            "vote": {"version": 1, "heads": [7, 8], "opened": "2026-11-22T04:00:00.000000Z",
                "ballots": {"7": {"choice": "against",
                    "signed": {"user_id": 7, "at": "2026-11-22T05:00:00.000000Z", "signature_id": 3}}}}
        });
        db.write(|txn| {
            store::ensure_tables(txn)?;
            crate::portal::polls::store::ensure_tables(txn)?;
            txn.open_table(store::DRAFTS)?.insert(4, serde_json::to_vec(&stored)?.as_slice())?;
            let verdict = crate::sign::Verdict::Invalid(crate::sign::Rejection {
                reason: crate::sign::Reason::Malformed,
                detail: String::new(),
                signer: None,
                revoked_at: None,
            });
            store::put_legacy_ballot(txn, 4, 7, "TUlJQg==", &verdict)?;
            assert_eq!(move_legacy_votes(txn)?, 1);
            assert_eq!(move_legacy_votes(txn)?, 0, "once");
            Ok(())
        })
        .unwrap();
        let txn = db.read().unwrap();
        let d = store::get(&txn, 4).unwrap().unwrap();
        assert_eq!((d.voters.clone(), d.legacy_vote.is_none()), (vec![7, 8], true));
        let poll = crate::portal::polls::store::get(&txn, d.poll.unwrap()).unwrap().unwrap();
        assert_eq!((poll.state, poll.seats.len(), poll.signed), (State::Open, 2, true));
        let counts = crate::portal::polls::store::counts(&txn, &poll).unwrap();
        assert_eq!(counts, vec![("for".into(), 0), ("against".into(), 1)]);
        let ballots = crate::portal::polls::store::named_ballots(
            &txn.open_table(crate::portal::polls::store::BALLOTS).unwrap(),
            poll.id,
        )
        .unwrap();
        assert_eq!(ballots[0].1.signature.as_ref().map(|s| s.cms.as_str()), Some("TUlJQg=="));
    }
}
