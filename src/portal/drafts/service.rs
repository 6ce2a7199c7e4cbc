//! Draft legal acts, use cases (I385 §12–§25). Every step: the policy for the actor's role
//! and agency, the state machine's verdict, then in ONE transaction the draft, any document
//! or signature it involves, the notices to the people who must act next, and the
//! access-log entry. Live pages and the mailer are told after the commit.

use std::cell::RefCell;
use std::collections::HashMap;

use redb::WriteTransaction;
use serde::Serialize;
use serde_json::json;

use super::model::*;
use super::store;
use crate::actor::Actor;
use crate::app::App;
use crate::auth::policy::{Action, DraftAction, Object, decide, require};
use crate::auth::roles::Role;
use crate::error::{Code, Error, Result};
use crate::notify::{self, AfterCommit, Arg, Names, Notice, Recipient};
use crate::portal::directory::model::Agency;
use crate::portal::directory::service as directory;
use crate::portal::documents::model::{AccessRule, VersionContent};
use crate::portal::documents::service::{self as documents, Also, Meta, Posted, Ticket};
use crate::portal::documents::signatures::{self, SignatureRecord};
use crate::portal::documents::upload::AcceptedFile;

fn now() -> String {
    crate::clock::utc_string(crate::clock::now())
}

fn refused(r: Refusal) -> Error {
    Error::new(Code::Conflict).with_detail_key(r.key())
}

fn object(d: &Draft) -> Object<'_> {
    Object::Draft {
        developer: d.developer_agency,
        approving: &d.approving_agencies,
        voters: d.vote.as_ref().map(|v| v.heads.as_slice()).unwrap_or(&[]),
    }
}

fn load(app: &App, id: u64) -> Result<Draft> {
    let txn = app.db.read()?;
    store::get(&txn, id)?.ok_or_else(Error::not_found)
}

fn chancellery(app: &App) -> Result<Option<Agency>> {
    Ok(directory::agencies_by_id(app)?
        .into_values()
        .find(|a| a.code.eq_ignore_ascii_case(&app.config.drafts.chancellery_agency)))
}

/// Who may read the draft's documents: the developer, the approving agencies and the
/// Chancellery.
fn access_for(app: &App, developer: u64, approving: &[u64]) -> Result<AccessRule> {
    let mut agencies = vec![developer];
    agencies.extend_from_slice(approving);
    if let Some(c) = chancellery(app)? {
        agencies.push(c.id);
    }
    agencies.sort_unstable();
    agencies.dedup();
    Ok(AccessRule { agencies, ..Default::default() })
}

/// The draft's title in each language it was given in (see `VersionContent::title_names`).
fn title_of(app: &App, d: &Draft) -> Names {
    documents::current_content(app, d.document_id).map(|(_, c)| c.title_names()).unwrap_or_default()
}

/// The title of a version being posted, as [`title_of`] will read it.
fn posted_title(meta: &Meta) -> Names {
    let or_main = |t: &str| if t.trim().is_empty() { meta.title.clone() } else { t.to_owned() };
    Names::new(&or_main(&meta.title_kk), &or_main(&meta.title_ru), &meta.title)
}

fn agency_name(app: &App, id: u64) -> Names {
    directory::agencies_by_id(app)
        .ok()
        .and_then(|m| m.get(&id).map(|a| a.names()))
        .unwrap_or_default()
}

/// Enqueues a notice in the current transaction.
fn tell(
    app: &App,
    txn: &WriteTransaction,
    to: &[Recipient],
    notice: &Notice,
) -> Result<AfterCommit> {
    notify::enqueue_in(app, txn, to, notice)
}

fn merge(a: AfterCommit, b: AfterCommit) -> AfterCommit {
    a.merge(b)
}

fn notice(key: &'static str, d: &Draft, title: &Names, extra: &[(&'static str, Arg)]) -> Notice {
    let mut n = Notice::new(key, format!("/drafts/{}", d.id), format!("draft:{}", d.id))
        .arg("title", title.clone())
        .arg("id", d.id);
    n.args.extend(extra.iter().cloned());
    n
}

/// Heads (and, for letters, employees) of agencies.
fn heads_of(app: &App, agencies: &[u64]) -> Result<Vec<Recipient>> {
    directory::recipients(app, agencies, &[Role::Head])
}

fn okdo(app: &App) -> Result<Vec<Recipient>> {
    let ids: Vec<u64> =
        directory::holders_of(app, Role::OkdoOfficer)?.into_iter().map(|u| u.id).collect();
    directory::recipients_by_id(app, &ids)
}

fn everyone_involved(app: &App, d: &Draft) -> Result<Vec<Recipient>> {
    let mut agencies = vec![d.developer_agency];
    agencies.extend(&d.approving_agencies);
    let mut out = directory::recipients(app, &agencies, &[Role::Head, Role::Employee])?;
    out.extend(okdo(app)?);
    Ok(out)
}

// ---------------------------------------------------------------------------------------
// Posting and revising

/// Checks the right to post a draft before the body is read.
pub fn prepare(app: &App, actor: &Actor) -> Result<Ticket> {
    documents::prepare_post(app, actor)
}

/// §13: the developer agency posts the draft with the list of approving agencies.
pub fn create(
    app: &App,
    actor: &Actor,
    ticket: Ticket,
    mut meta: Meta,
    files: Vec<AcceptedFile>,
) -> Result<u64> {
    let me = actor.user().ok_or_else(Error::forbidden)?.clone();
    let (approving, _) = directory::resolve_access_names(app, &meta.approving, &[])?;
    if approving.iter().all(|a| *a == me.agency_id) {
        return Err(refused(Refusal::ApprovingAgenciesRequired).with_field("approving"));
    }
    meta.doc_type = Some("draft_act".into());
    meta.access = None;
    let access = access_for(app, me.agency_id, &approving)?;
    let title = posted_title(&meta);
    let created: RefCell<Option<(u64, AfterCommit)>> = RefCell::new(None);
    let run = |txn: &WriteTransaction, posted: &Posted| -> Result<serde_json::Value> {
        // The draft's document is shared with every party from the start.
        let w = crate::portal::documents::store::Writer(txn);
        let mut doc = w.document(posted.id)?.ok_or_else(Error::not_found)?;
        doc.access = access.clone();
        w.put_document(&doc)?;
        let id = crate::db::next_id(txn, "draft")?;
        let now = now();
        let draft = Draft::new(id, posted.id, me.agency_id, approving.clone(), me.id, &now)
            .map_err(refused)?;
        store::put(txn, &draft)?;
        let after = tell(
            app,
            txn,
            &heads_of(app, &[me.agency_id])?,
            &notice("draft-sign", &draft, &title, &[]),
        )?;
        *created.borrow_mut() = Some((id, after));
        Ok(json!({"draft": id, "approving": approving}))
    };
    documents::commit_with(
        app,
        actor,
        ticket,
        meta,
        files,
        Some(&Also { operation: "draft.create", run: &run }),
    )?;
    let (id, after) = created.into_inner().ok_or_else(|| Error::internal("draft not created"))?;
    notify::after_commit(app, after);
    Ok(id)
}

pub fn prepare_revision(app: &App, actor: &Actor, id: u64) -> Result<Ticket> {
    let d = load(app, id)?;
    require(actor, Action::Draft(DraftAction::Develop), object(&d))?;
    let ticket = documents::prepare_version_as_workflow(app, d.document_id)?;
    Ok(ticket)
}

/// §18: a revised version; approvals restart, earlier signatures stay with their version.
pub fn revise(
    app: &App,
    actor: &Actor,
    id: u64,
    ticket: Ticket,
    mut meta: Meta,
    files: Vec<AcceptedFile>,
) -> Result<u32> {
    let d = load(app, id)?;
    require(actor, Action::Draft(DraftAction::Develop), object(&d))?;
    let user = actor.user_id().unwrap_or(0);
    let mut check = d.clone();
    check.revise(d.version + 1, user, &now()).map_err(refused)?;
    meta.doc_type = None;
    meta.access = None;
    let title = posted_title(&meta);
    let after: RefCell<Option<AfterCommit>> = RefCell::new(None);
    let run = |txn: &WriteTransaction, posted: &Posted| -> Result<serde_json::Value> {
        let mut d = store::get_in(txn, id)?.ok_or_else(Error::not_found)?;
        d.revise(posted.version, user, &now()).map_err(refused)?;
        store::put(txn, &d)?;
        let a = tell(
            app,
            txn,
            &heads_of(app, &[d.developer_agency])?,
            &notice("draft-sign", &d, &title, &[]),
        )?;
        *after.borrow_mut() = Some(a);
        Ok(json!({"draft": id, "version": posted.version}))
    };
    let posted = documents::commit_with(
        app,
        actor,
        ticket,
        meta,
        files,
        Some(&Also { operation: "draft.revise", run: &run }),
    )?;
    if let Some(a) = after.into_inner() {
        notify::after_commit(app, a);
    }
    Ok(posted.version)
}

// ---------------------------------------------------------------------------------------
// Signing steps

/// Which signing step: the permission it needs, its log operation, the signature's purpose.
struct SigningStep {
    action: Action,
    operation: &'static str,
    purpose: &'static str,
}

/// Runs `transition` with an accepted signature over the draft document's current version.
fn with_signature(
    app: &App,
    actor: &Actor,
    id: u64,
    step: SigningStep,
    cms: &[u8],
    transition: &dyn Fn(&mut Draft, SignedBy, &WriteTransaction) -> Result<AfterCommit>,
) -> Result<()> {
    let SigningStep { action, operation, purpose } = step;
    let d = load(app, id)?;
    require(actor, action, object(&d))?;
    let after: RefCell<Option<AfterCommit>> = RefCell::new(None);
    let run = |txn: &WriteTransaction, record: &SignatureRecord| -> Result<serde_json::Value> {
        let mut d = store::get_in(txn, id)?.ok_or_else(Error::not_found)?;
        if record.version != d.version {
            return Err(refused(Refusal::VersionMismatch));
        }
        let signed = SignedBy {
            user_id: record.user_id,
            at: record.submitted.clone(),
            signature_id: record.id,
        };
        let a = transition(&mut d, signed, txn)?;
        store::put(txn, &d)?;
        *after.borrow_mut() = Some(a);
        Ok(json!({"draft": id, "stage": d.stage.name()}))
    };
    signatures::submit_with(
        app,
        actor,
        d.document_id,
        d.version,
        cms,
        purpose,
        Some(&signatures::Also { operation, run: &run }),
    )?;
    if let Some(a) = after.into_inner() {
        notify::after_commit(app, a);
    }
    Ok(())
}

/// §14–§15: the developer head signs; the cover letter is written and the approving
/// agencies are told.
pub fn developer_sign(app: &App, actor: &Actor, id: u64, cms: &[u8]) -> Result<()> {
    let agencies = directory::agencies_by_id(app)?;
    let cover_letter = std::cell::Cell::new(None);
    with_signature(
        app,
        actor,
        id,
        SigningStep {
            action: Action::Draft(DraftAction::DeveloperSign),
            operation: "draft.developer_sign",
            purpose: "draft.developer",
        },
        cms,
        &|d, signed, txn| {
            let title = title_of(app, d);
            let access = access_for(app, d.developer_agency, &d.approving_agencies)?;
            let developer = agencies.get(&d.developer_agency).cloned();
            let names = |lang: &str| -> String {
                d.approving_agencies
                    .iter()
                    .filter_map(|a| agencies.get(a).map(|a| a.name(lang).to_owned()))
                    .collect::<Vec<_>>()
                    .join("; ")
            };
            let link =
                format!("{}/drafts/{}", app.config.server.public_url.trim_end_matches('/'), d.id);
            let number = format!("ИП-{}-{}", d.id, d.version);
            // Each language's part names the draft and the agencies in that language.
            let (title_kk, title_ru) = (title.get("kk"), title.get("ru"));
            let from = |lang: &str| developer.as_ref().map(|a| a.name(lang).to_owned());
            let content = VersionContent {
                title: format!("Сопроводительное письмо № {number} к проекту «{title_ru}»"),
                title_kk: format!("«{title_kk}» жобасына № {number} ілеспе хат"),
                title_ru: format!("Сопроводительное письмо № {number} к проекту «{title_ru}»"),
                text: format!(
                    "{}\n\nНаправляется на согласование проект «{title_ru}» (версия {}).\nАдресаты: {}.\nПроект размещён на интранет-портале государственных органов: {link}\n\n\
                 {}\n\n«{title_kk}» жобасы ({}-нұсқа) келісуге жіберіледі.\nАлушылар: {}.\nЖоба мемлекеттік органдардың интранет-порталында орналастырылған: {link}\n",
                    from("ru").unwrap_or_default(),
                    d.version,
                    names("ru"),
                    from("kk").unwrap_or_default(),
                    d.version,
                    names("kk"),
                ),
                fields: Default::default(),
                files: Vec::new(),
                note: String::new(),
            };
            let letter = documents::write_text_document_in(
                txn,
                app,
                signed.user_id,
                d.developer_agency,
                "cover_letter",
                content,
                access,
            )?;
            cover_letter.set(Some(letter));
            d.developer_signed(d.version, signed, letter, &now()).map_err(refused)?;
            let to =
                directory::recipients(app, &d.approving_agencies, &[Role::Head, Role::Employee])?;
            tell(
                app,
                txn,
                &to,
                &notice("draft-approval", d, &title, &[("number", Arg::from(number.clone()))]),
            )
        },
    )?;
    // Written inside the signature's transaction: indexed once that has committed.
    if let Some(letter) = cover_letter.get() {
        app.search.changed(letter);
    }
    Ok(())
}

/// §16: the approving head approves with a signature; the last approval sends the draft
/// to the Chancellery (§19).
pub fn approve(app: &App, actor: &Actor, id: u64, cms: &[u8]) -> Result<()> {
    let agency = actor.user().map(|u| u.agency_id).unwrap_or(0);
    with_signature(
        app,
        actor,
        id,
        SigningStep {
            action: Action::Draft(DraftAction::Approve),
            operation: "draft.approve",
            purpose: "draft.approval",
        },
        cms,
        &|d, signed, txn| {
            let title = title_of(app, d);
            let version = d.version;
            d.approve(agency, version, signed, &now()).map_err(refused)?;
            let mut after = tell(
                app,
                txn,
                &heads_of(app, &[d.developer_agency])?,
                &notice(
                    "draft-approved",
                    d,
                    &title,
                    &[("agency", Arg::from(agency_name(app, agency)))],
                ),
            )?;
            if d.stage == Stage::AtChancellery {
                after = merge(
                    after,
                    tell(app, txn, &okdo(app)?, &notice("draft-chancellery", d, &title, &[]))?,
                );
            }
            Ok(after)
        },
    )
}

/// §17: one side of a disagreement protocol signs it (over the protocol document).
pub fn sign_protocol(app: &App, actor: &Actor, id: u64, protocol: u64, cms: &[u8]) -> Result<()> {
    let d = load(app, id)?;
    let p = d
        .protocols
        .iter()
        .find(|p| p.id == protocol && p.version == d.version)
        .cloned()
        .ok_or_else(Error::not_found)?;
    let me = actor.user().ok_or_else(Error::forbidden)?;
    let developer_side = me.agency_id == d.developer_agency;
    let action = if developer_side {
        Action::Draft(DraftAction::DeveloperSign)
    } else {
        Action::Draft(DraftAction::Approve)
    };
    require(actor, action, object(&d))?;
    if !developer_side && me.agency_id != p.agency_id {
        return Err(Error::forbidden());
    }
    let after: RefCell<Option<AfterCommit>> = RefCell::new(None);
    let run = |txn: &WriteTransaction, record: &SignatureRecord| -> Result<serde_json::Value> {
        let mut d = store::get_in(txn, id)?.ok_or_else(Error::not_found)?;
        let signed = SignedBy {
            user_id: record.user_id,
            at: record.submitted.clone(),
            signature_id: record.id,
        };
        d.sign_protocol(protocol, developer_side, signed, &now()).map_err(refused)?;
        store::put(txn, &d)?;
        let title = title_of(app, &d);
        let mut a = AfterCommit::default();
        if d.stage == Stage::AtChancellery {
            a = tell(app, txn, &okdo(app)?, &notice("draft-chancellery", &d, &title, &[]))?;
        } else if developer_side {
            a = tell(
                app,
                txn,
                &heads_of(app, &[p.agency_id])?,
                &notice("draft-protocol", &d, &title, &[]),
            )?;
        }
        *after.borrow_mut() = Some(a);
        Ok(
            json!({"draft": id, "protocol": protocol, "side": if developer_side { "developer" } else { "approver" }}),
        )
    };
    let also = signatures::Also { operation: "draft.sign_protocol", run: &run };
    signatures::submit_with(app, actor, p.document_id, 1, cms, "draft.protocol", Some(&also))?;
    if let Some(a) = after.into_inner() {
        notify::after_commit(app, a);
    }
    Ok(())
}

/// The exact bytes a head signs to vote (§23): the ballot names the draft, the version's
/// manifest and the choice, so the signature covers the choice too.
pub fn ballot(app: &App, actor: &Actor, id: u64, choice: Choice) -> Result<Vec<u8>> {
    let d = load(app, id)?;
    require(actor, Action::Draft(DraftAction::Read), object(&d))?;
    actor.origin.set_operation("draft.ballot");
    let manifest = signatures::manifest(app, actor, d.document_id, d.version)?;
    Ok(ballot_bytes(&d, &manifest, choice))
}

fn ballot_bytes(d: &Draft, manifest: &[u8], choice: Choice) -> Vec<u8> {
    use sha2::Digest as _;
    format!(
        "IPGO-BALLOT 1\ndraft: {}\ndocument: {}\nversion: {}\nmanifest-sha256: {}\nchoice: {}\n",
        d.id,
        d.document_id,
        d.version,
        hex::encode(sha2::Sha256::digest(manifest)),
        if choice == Choice::For { "for" } else { "against" }
    )
    .into_bytes()
}

/// §23–§24: a head votes with a signature over the ballot.
pub fn vote(app: &App, actor: &Actor, id: u64, choice: Choice, cms: &[u8]) -> Result<()> {
    let d = load(app, id)?;
    require(actor, Action::Draft(DraftAction::Vote), object(&d))?;
    let me = actor.user_id().ok_or_else(Error::forbidden)?;
    let manifest = signatures::manifest(app, actor, d.document_id, d.version)?;
    actor.origin.set_operation("draft.vote");
    let ballot = ballot_bytes(&d, &manifest, choice);
    let verdict = crate::sign::service::verify_for_user(app, Some(me), &ballot, cms)?;
    if let crate::sign::Verdict::Invalid(r) = verdict {
        return Err(r.into());
    }
    let now = now();
    let after = app.audit.change(actor, "draft.vote", |txn| {
        let mut d = store::get_in(txn, id)?.ok_or_else(Error::not_found)?;
        let signature_id = crate::db::next_id(txn, "signature")?;
        d.cast(choice, SignedBy { user_id: me, at: now.clone(), signature_id }, &now).map_err(refused)?;
        store::put(txn, &d)?;
        store::put_ballot(txn, id, me, &crate::sign::store::b64(cms), &verdict)?;
        let title = title_of(app, &d);
        let a = tell(app, txn, &okdo(app)?, &notice("draft-voted", &d, &title, &[]))?;
        Ok((a, Some(json!({"draft": id, "choice": if choice == Choice::For { "for" } else { "against" }}))))
    })?;
    notify::after_commit(app, after);
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Steps without a signature

fn step(
    app: &App,
    actor: &Actor,
    id: u64,
    action: Action,
    operation: &'static str,
    transition: &dyn Fn(&mut Draft, &WriteTransaction) -> Result<AfterCommit>,
) -> Result<()> {
    let d = load(app, id)?;
    require(actor, action, object(&d))?;
    let after = app.audit.change(actor, operation, |txn| {
        let mut d = store::get_in(txn, id)?.ok_or_else(Error::not_found)?;
        let a = transition(&mut d, txn)?;
        store::put(txn, &d)?;
        Ok((a, Some(json!({"draft": id, "stage": d.stage.name(), "version": d.version}))))
    })?;
    notify::after_commit(app, after);
    Ok(())
}

/// §16: the approving agency's office registers the cover letter.
pub fn register_letter(app: &App, actor: &Actor, id: u64, number: &str) -> Result<()> {
    let number = crate::portal::directory::model::clean_name("number", number, true)?;
    let me = actor.user().ok_or_else(Error::forbidden)?.clone();
    step(
        app,
        actor,
        id,
        Action::Draft(DraftAction::RegisterLetter),
        "draft.register_letter",
        &|d, txn| {
            d.register_letter(me.agency_id, &number, me.id, &now()).map_err(refused)?;
            let title = title_of(app, d);
            tell(
                app,
                txn,
                &heads_of(app, &[me.agency_id])?,
                &notice("draft-registered", d, &title, &[("number", Arg::from(number.clone()))]),
            )
        },
    )
}

/// §16: the head's resolution names a working group of the agency; its members are told.
pub fn name_working_group(app: &App, actor: &Actor, id: u64, group: u64) -> Result<()> {
    let me = actor.user().ok_or_else(Error::forbidden)?.clone();
    let g = directory::group(app, actor, group)?;
    if g.agency_id != me.agency_id {
        return Err(Error::invalid("group", "draft-group-foreign"));
    }
    step(app, actor, id, Action::Draft(DraftAction::Approve), "draft.working_group", &|d, txn| {
        d.name_working_group(me.agency_id, group, me.id, &now()).map_err(refused)?;
        let title = title_of(app, d);
        tell(
            app,
            txn,
            &directory::recipients_by_id(app, &g.members)?,
            &notice("draft-review", d, &title, &[]),
        )
    })
}

/// §16: a reasoned rejection by the approving head.
pub fn reject(app: &App, actor: &Actor, id: u64, reason: &str) -> Result<()> {
    let reason = crate::portal::directory::model::clean_text("reason", reason, 5000)?;
    let me = actor.user().ok_or_else(Error::forbidden)?.clone();
    step(app, actor, id, Action::Draft(DraftAction::Approve), "draft.reject", &|d, txn| {
        d.reject(me.agency_id, &reason, me.id, &now()).map_err(refused)?;
        let title = title_of(app, d);
        let to = directory::recipients(app, &[d.developer_agency], &[Role::Head, Role::Employee])?;
        tell(
            app,
            txn,
            &to,
            &notice(
                "draft-rejected",
                d,
                &title,
                &[
                    ("agency", Arg::from(agency_name(app, me.agency_id))),
                    ("reason", Arg::from(reason.clone())),
                ],
            ),
        )
    })
}

/// §20: OKDO accepts the draft for the Government's decision or returns it with a reason.
pub fn chancellery_check(
    app: &App,
    actor: &Actor,
    id: u64,
    accepted: bool,
    reason: &str,
) -> Result<()> {
    let reason = crate::portal::directory::model::clean_text("reason", reason, 5000)?;
    let me = actor.user_id().unwrap_or(0);
    step(
        app,
        actor,
        id,
        Action::Draft(DraftAction::Chancellery),
        if accepted { "draft.chancellery_accept" } else { "draft.chancellery_return" },
        &|d, txn| {
            d.chancellery_check(accepted, &reason, me, &now()).map_err(refused)?;
            let title = title_of(app, d);
            let key = if accepted { "draft-for-decision" } else { "draft-returned" };
            let to =
                directory::recipients(app, &[d.developer_agency], &[Role::Head, Role::Employee])?;
            tell(app, txn, &to, &notice(key, d, &title, &[("reason", Arg::from(reason.clone()))]))
        },
    )
}

/// §22: OKDO opens an absentee vote of the listed heads.
pub fn open_vote(app: &App, actor: &Actor, id: u64, logins: &[String]) -> Result<()> {
    let (_, heads) = directory::resolve_access_names(app, &[], logins)?;
    let me = actor.user_id().unwrap_or(0);
    step(app, actor, id, Action::Draft(DraftAction::Chancellery), "draft.open_vote", &|d, txn| {
        d.open_vote(heads.clone(), me, &now()).map_err(refused)?;
        let title = title_of(app, d);
        tell(
            app,
            txn,
            &directory::recipients_by_id(app, &heads)?,
            &notice("draft-vote", d, &title, &[]),
        )
    })
}

/// §25: OKDO sets the final status.
pub fn finish(app: &App, actor: &Actor, id: u64, accepted: bool, reason: &str) -> Result<()> {
    let reason = crate::portal::directory::model::clean_text("reason", reason, 5000)?;
    let me = actor.user_id().unwrap_or(0);
    step(app, actor, id, Action::Draft(DraftAction::Chancellery), "draft.finish", &|d, txn| {
        d.finish(accepted, &reason, me, &now()).map_err(refused)?;
        let title = title_of(app, d);
        let key = if accepted { "draft-accepted" } else { "draft-final-rejected" };
        tell(
            app,
            txn,
            &everyone_involved(app, d)?,
            &notice(key, d, &title, &[("reason", Arg::from(reason.clone()))]),
        )
    })
}

/// §17: the developer attaches a disagreement protocol with one approving agency.
pub fn attach_protocol(
    app: &App,
    actor: &Actor,
    id: u64,
    agency_code: &str,
    ticket: Ticket,
    mut meta: Meta,
    files: Vec<AcceptedFile>,
) -> Result<u64> {
    let d = load(app, id)?;
    require(actor, Action::Draft(DraftAction::Develop), object(&d))?;
    let agency = directory::agency_by_code(app, actor, agency_code)?;
    meta.doc_type = Some("protocol".into());
    meta.access = None;
    let access = access_for(app, d.developer_agency, &d.approving_agencies)?;
    let user = actor.user_id().unwrap_or(0);
    let out: RefCell<Option<(u64, AfterCommit)>> = RefCell::new(None);
    let run = |txn: &WriteTransaction, posted: &Posted| -> Result<serde_json::Value> {
        let w = crate::portal::documents::store::Writer(txn);
        let mut doc = w.document(posted.id)?.ok_or_else(Error::not_found)?;
        doc.access = access.clone();
        w.put_document(&doc)?;
        let mut d = store::get_in(txn, id)?.ok_or_else(Error::not_found)?;
        let pid = crate::db::next_id(txn, "protocol")?;
        d.attach_protocol(pid, agency.id, posted.id, user, &now()).map_err(refused)?;
        store::put(txn, &d)?;
        let title = title_of(app, &d);
        let a = tell(
            app,
            txn,
            &heads_of(app, &[d.developer_agency])?,
            &notice("draft-protocol", &d, &title, &[]),
        )?;
        *out.borrow_mut() = Some((pid, a));
        Ok(json!({"draft": id, "protocol": pid, "document": posted.id}))
    };
    documents::commit_with(
        app,
        actor,
        ticket,
        meta,
        files,
        Some(&Also { operation: "draft.attach_protocol", run: &run }),
    )?;
    let (pid, after) = out.into_inner().ok_or_else(|| Error::internal("protocol not attached"))?;
    notify::after_commit(app, after);
    Ok(pid)
}

/// §21: OKDO posts the minutes of the Government meeting.
pub fn post_minutes(
    app: &App,
    actor: &Actor,
    id: u64,
    ticket: Ticket,
    mut meta: Meta,
    files: Vec<AcceptedFile>,
) -> Result<u64> {
    let d = load(app, id)?;
    require(actor, Action::Draft(DraftAction::Chancellery), object(&d))?;
    meta.doc_type = Some("minutes".into());
    meta.access = None;
    let access = access_for(app, d.developer_agency, &d.approving_agencies)?;
    let user = actor.user_id().unwrap_or(0);
    let out: RefCell<Option<AfterCommit>> = RefCell::new(None);
    let run = |txn: &WriteTransaction, posted: &Posted| -> Result<serde_json::Value> {
        let w = crate::portal::documents::store::Writer(txn);
        let mut doc = w.document(posted.id)?.ok_or_else(Error::not_found)?;
        doc.access = access.clone();
        w.put_document(&doc)?;
        let mut d = store::get_in(txn, id)?.ok_or_else(Error::not_found)?;
        d.post_minutes(posted.id, user, &now()).map_err(refused)?;
        store::put(txn, &d)?;
        let title = title_of(app, &d);
        *out.borrow_mut() = Some(tell(
            app,
            txn,
            &everyone_involved(app, &d)?,
            &notice("draft-minutes", &d, &title, &[]),
        )?);
        Ok(json!({"draft": id, "minutes": posted.id}))
    };
    let posted = documents::commit_with(
        app,
        actor,
        ticket,
        meta,
        files,
        Some(&Also { operation: "draft.minutes", run: &run }),
    )?;
    if let Some(a) = out.into_inner() {
        notify::after_commit(app, a);
    }
    Ok(posted.id)
}

/// Posting a protocol or minutes: OKDO officers and the developer act outside their own
/// agency's document rights, so the ticket is issued by the workflow after its own check.
pub fn prepare_attachment(app: &App, actor: &Actor, id: u64, chancellery: bool) -> Result<Ticket> {
    let d = load(app, id)?;
    require(
        actor,
        if chancellery {
            Action::Draft(DraftAction::Chancellery)
        } else {
            Action::Draft(DraftAction::Develop)
        },
        object(&d),
    )?;
    documents::prepare_post_as_workflow(app, actor)
}

// ---------------------------------------------------------------------------------------
// Reading

#[derive(Debug, Clone, Serialize)]
pub struct ApprovalRow {
    pub agency_id: u64,
    pub agency_code: String,
    pub agency_name_kk: String,
    pub agency_name_ru: String,
    pub agency_name_en: String,
    pub registered: Option<String>,
    pub registered_at: Option<String>,
    pub working_group: Option<u64>,
    /// `pending`, `approved` or `rejected`.
    pub decision: &'static str,
    pub by: Option<String>,
    pub at: Option<String>,
    pub reason: Option<String>,
    /// The signature's status now (`valid`, `invalid`, `revoked_later`).
    pub signature_status: Option<&'static str>,
}

#[derive(Debug, Clone, Serialize)]
pub struct DraftView {
    pub id: u64,
    pub document_id: u64,
    pub title: String,
    pub stage: &'static str,
    pub stage_since: String,
    pub deadline: Option<String>,
    pub overdue: bool,
    pub version: u32,
    pub developer: String,
    pub developer_signed: bool,
    pub cover_letter: Option<u64>,
    pub approvals: Vec<ApprovalRow>,
    pub protocols: Vec<Protocol>,
    pub chancellery: Option<serde_json::Value>,
    pub minutes: Option<u64>,
    pub vote: Option<serde_json::Value>,
    pub final_reason: String,
    pub timeline: Vec<serde_json::Value>,
    pub actions: Vec<&'static str>,
}

/// The deadline of the current stage (UTC stored form), if the stage has one.
pub fn deadline(app: &App, d: &Draft) -> Option<String> {
    let days = match d.stage {
        Stage::AwaitingDeveloperSignature | Stage::ReturnedByChancellery => {
            app.config.drafts.developer_sign_days
        }
        Stage::OnApproval => app.config.drafts.approval_days,
        Stage::AtChancellery => app.config.drafts.chancellery_days,
        Stage::Voting => app.config.drafts.vote_days,
        _ => return None,
    };
    let since: jiff::Timestamp = d.stage_since.parse().ok()?;
    Some(crate::clock::utc_string(since + jiff::SignedDuration::from_hours(days as i64 * 24)))
}

/// What the actor may do now (shown as buttons and forms).
fn actions(actor: &Actor, d: &Draft) -> Vec<&'static str> {
    let o = object(d);
    let me = actor.user();
    let mut out = Vec::new();
    let agency = me.map(|u| u.agency_id).unwrap_or(0);
    match d.stage {
        Stage::AwaitingDeveloperSignature
            if decide(actor, Action::Draft(DraftAction::DeveloperSign), o) =>
        {
            out.push("developer_sign")
        }
        Stage::OnApproval => {
            if let Some(a) = d.approval(agency) {
                if a.registered.is_none()
                    && decide(actor, Action::Draft(DraftAction::RegisterLetter), o)
                {
                    out.push("register_letter");
                }
                if a.registered.is_some()
                    && a.decision == Decision::Pending
                    && decide(actor, Action::Draft(DraftAction::Approve), o)
                {
                    out.extend(["working_group", "approve", "reject"]);
                }
            }
            if decide(actor, Action::Draft(DraftAction::Develop), o) {
                out.push("protocol");
                if d.approvals.iter().any(|a| matches!(a.decision, Decision::Rejected { .. })) {
                    out.push("revise");
                }
            }
        }
        Stage::ReturnedByChancellery if decide(actor, Action::Draft(DraftAction::Develop), o) => {
            out.push("revise")
        }
        Stage::AtChancellery if decide(actor, Action::Draft(DraftAction::Chancellery), o) => {
            out.push("chancellery_check")
        }
        Stage::ForDecision if decide(actor, Action::Draft(DraftAction::Chancellery), o) => {
            out.extend(["minutes", "open_vote"]);
            if d.minutes.is_some() {
                out.push("finish");
            }
        }
        Stage::Voting => {
            if decide(actor, Action::Draft(DraftAction::Vote), o)
                && !d
                    .vote
                    .as_ref()
                    .is_some_and(|v| v.ballots.contains_key(&actor.user_id().unwrap_or(0)))
            {
                out.push("vote");
            }
            if decide(actor, Action::Draft(DraftAction::Chancellery), o) {
                out.push("finish");
            }
        }
        _ => {}
    }
    for p in d.protocols.iter().filter(|p| p.version == d.version) {
        let dev_side = agency == d.developer_agency
            && p.developer.is_none()
            && decide(actor, Action::Draft(DraftAction::DeveloperSign), o);
        let app_side = agency == p.agency_id
            && p.approver.is_none()
            && decide(actor, Action::Draft(DraftAction::Approve), o);
        if (dev_side || app_side) && !out.contains(&"sign_protocol") {
            out.push("sign_protocol");
        }
    }
    out
}

pub fn view(app: &App, actor: &Actor, id: u64, lang: &str) -> Result<DraftView> {
    let d = load(app, id)?;
    require(actor, Action::Draft(DraftAction::Read), object(&d))?;
    let agencies = directory::agencies_by_id(app)?;
    let mut people_ids: Vec<u64> = d.timeline.iter().map(|e| e.user_id).collect();
    people_ids.extend(d.vote.as_ref().map(|v| v.heads.clone()).unwrap_or_default());
    let people: HashMap<u64, (String, String)> = directory::user_names(app, &people_ids, lang)?
        .into_iter()
        .map(|(id, login, name)| (id, (login, name)))
        .collect();
    let name = |id: u64| people.get(&id).map(|p| p.1.clone()).unwrap_or_default();
    let statuses: HashMap<u64, &'static str> =
        signatures::list(app, actor, d.document_id, d.version)
            .unwrap_or_default()
            .into_iter()
            .map(|s| (s.id, s.status))
            .collect();
    let approvals = d
        .approvals
        .iter()
        .map(|a| {
            let ag = agencies.get(&a.agency_id);
            let (decision, by, at, reason, sig) = match &a.decision {
                Decision::Pending => ("pending", None, None, None, None),
                Decision::Approved { signed } => (
                    "approved",
                    Some(name(signed.user_id)),
                    Some(signed.at.clone()),
                    None,
                    statuses.get(&signed.signature_id).copied(),
                ),
                Decision::Rejected { user_id, at, reason } => {
                    ("rejected", Some(name(*user_id)), Some(at.clone()), Some(reason.clone()), None)
                }
            };
            ApprovalRow {
                agency_id: a.agency_id,
                agency_code: ag.map(|a| a.code.clone()).unwrap_or_default(),
                agency_name_kk: ag.map(|a| a.name_kk.clone()).unwrap_or_default(),
                agency_name_ru: ag.map(|a| a.name_ru.clone()).unwrap_or_default(),
                agency_name_en: ag.map(|a| a.name_en.clone()).unwrap_or_default(),
                registered: a.registered.as_ref().map(|r| r.0.clone()),
                registered_at: a.registered.as_ref().map(|r| r.2.clone()),
                working_group: a.working_group,
                decision,
                by,
                at,
                reason,
                signature_status: sig,
            }
        })
        .collect();
    let deadline = deadline(app, &d);
    let overdue = deadline.as_deref().is_some_and(|dl| dl < now().as_str());
    Ok(DraftView {
        id: d.id,
        document_id: d.document_id,
        title: documents::current_content(app, d.document_id).map(|(_, c)| c.title_in(lang).to_owned()).unwrap_or_default(),
        stage: d.stage.name(),
        stage_since: d.stage_since.clone(),
        deadline,
        overdue,
        version: d.version,
        developer: agencies.get(&d.developer_agency).map(|a| a.code.clone()).unwrap_or_default(),
        developer_signed: d.developer_signature.is_some(),
        cover_letter: d.cover_letter,
        approvals,
        protocols: d.protocols.iter().filter(|p| p.version == d.version).cloned().collect(),
        chancellery: d.chancellery.as_ref().map(|(ok, by, at, reason)| json!({"accepted": ok, "by": name(*by), "at": at, "reason": reason})),
        minutes: d.minutes,
        vote: d.vote.as_ref().map(|v| {
            let (yes, no, open) = v.tally();
            json!({
                "version": v.version,
                "for": yes, "against": no, "not_voted": open,
                "heads": v.heads.iter().map(|h| json!({"id": h, "name": name(*h), "ballot": v.ballots.get(h).map(|b| if b.choice == Choice::For { "for" } else { "against" })})).collect::<Vec<_>>(),
            })
        }),
        final_reason: d.final_reason.clone(),
        timeline: d
            .timeline
            .iter()
            .map(|e| json!({"at": e.at, "who": name(e.user_id), "kind": e.kind, "version": e.version, "agency": e.agency_id.and_then(|a| agencies.get(&a).map(|a| a.code.clone())), "note": e.note}))
            .collect(),
        actions: actions(actor, &d),
    })
}

/// Drafts the actor may see, newest first, optionally of one stage or agency.
pub fn list(
    app: &App,
    actor: &Actor,
    stage: Option<&str>,
    agency: Option<&str>,
    lang: &str,
) -> Result<Vec<DraftView>> {
    actor.origin.set_operation("draft.list");
    let all = {
        let txn = app.db.read()?;
        store::all(&txn)?
    };
    let agencies = directory::agencies_by_id(app)?;
    let agency_id = agency.filter(|a| !a.is_empty()).map(|code| {
        agencies
            .values()
            .find(|a| a.code.eq_ignore_ascii_case(code))
            .map(|a| a.id)
            .unwrap_or(u64::MAX)
    });
    let mut out = Vec::new();
    for d in all {
        if !decide(actor, Action::Draft(DraftAction::Read), object(&d)) {
            continue;
        }
        if stage.is_some_and(|s| !s.is_empty() && s != d.stage.name()) {
            continue;
        }
        if let Some(a) = agency_id
            && d.developer_agency != a
            && !d.approving_agencies.contains(&a)
        {
            continue;
        }
        out.push(view(app, actor, d.id, lang)?);
    }
    actor.origin.set_operation("draft.list");
    Ok(out)
}

/// The cover letter as the external e-document system takes it (§15).
pub fn cover_letter(app: &App, actor: &Actor, id: u64) -> Result<serde_json::Value> {
    let d = load(app, id)?;
    require(actor, Action::Draft(DraftAction::Read), object(&d))?;
    actor.origin.set_operation("draft.cover_letter");
    let letter = d.cover_letter.ok_or_else(Error::not_found)?;
    let (doc, content) = documents::current_content(app, letter)?;
    let agencies = directory::agencies_by_id(app)?;
    Ok(json!({
        "draft": d.id,
        "number": format!("ИП-{}-{}", d.id, d.version),
        "date": doc.created,
        "from": agencies.get(&d.developer_agency).map(|a| a.code.clone()),
        "to": d.approving_agencies.iter().filter_map(|a| agencies.get(a).map(|a| a.code.clone())).collect::<Vec<_>>(),
        "subject_ru": content.title_ru,
        "subject_kk": content.title_kk,
        "text": content.text,
        "link": format!("{}/drafts/{}", app.config.server.public_url.trim_end_matches('/'), d.id),
        "document_id": letter,
    }))
}

/// Notifies the parties of stages past their deadline, once per stage and version.
pub fn notify_overdue(app: &App) -> Result<usize> {
    let drafts = {
        let txn = app.db.read()?;
        store::all(&txn)?
    };
    let now = now();
    let mut count = 0;
    for d in drafts {
        let Some(dl) = deadline(app, &d) else { continue };
        if dl.as_str() >= now.as_str() {
            continue;
        }
        if store::overdue_marked(&app.db.read()?, d.id, d.version, d.stage.name())? {
            continue;
        }
        let waiting = d.waiting_on();
        let to = match d.stage {
            Stage::AtChancellery | Stage::Voting => okdo(app)?,
            _ => heads_of(app, &waiting)?,
        };
        let title = title_of(app, &d);
        let actor = Actor::system_job_bypassing_user_policy("drafts-overdue");
        let after = app.audit.change(&actor, "draft.overdue", |txn| {
            if !store::mark_overdue(txn, d.id, d.version, d.stage.name())? {
                return Ok((None, None));
            }
            let a = tell(
                app,
                txn,
                &to,
                &notice("draft-overdue", &d, &title, &[("deadline", Arg::Time(dl.clone()))]),
            )?;
            Ok((Some(a), Some(json!({"draft": d.id, "stage": d.stage.name()}))))
        })?;
        if let Some(a) = after {
            notify::after_commit(app, a);
            count += 1;
        }
    }
    Ok(count)
}
