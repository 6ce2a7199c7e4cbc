//! Draft legal acts, use cases (I385 §12–§25). Every step: the policy for the actor's role
//! and agency, the state machine's verdict, then in ONE transaction the draft, any document
//! or signature it involves, the notices to the people who must act next, and the
//! access-log entry. Live pages and the mailer are told after the commit. The absentee
//! vote is in `vote.rs` (on the voting engine), reading the drafts in `view.rs`.

use std::cell::RefCell;

use redb::WriteTransaction;
use serde_json::json;

use super::model::*;
use super::store;
use crate::actor::Actor;
use crate::app::App;
use crate::auth::policy::{Action, DraftAction, Object, require};
use crate::auth::roles::Role;
use crate::error::{Code, Error, Result};
use crate::notify::{self, AfterCommit, Arg, Names, Notice, Recipient};
use crate::portal::directory::model::Agency;
use crate::portal::directory::service as directory;
use crate::portal::documents::model::{AccessRule, VersionContent};
use crate::portal::documents::service::{self as documents, Also, Meta, Posted, Ticket};
use crate::portal::documents::signatures::{self, SignatureRecord};
use crate::portal::documents::upload::AcceptedFile;

pub(super) fn now() -> String {
    crate::clock::utc_string(crate::clock::now())
}

pub(super) fn refused(r: Refusal) -> Error {
    Error::new(Code::Conflict).with_detail_key(r.key())
}

pub(super) fn object(d: &Draft) -> Object<'_> {
    Object::Draft {
        developer: d.developer_agency,
        approving: &d.approving_agencies,
        voters: &d.voters,
    }
}

pub(super) fn load(app: &App, id: u64) -> Result<Draft> {
    let txn = app.db.read()?;
    store::get(&txn, id)?.ok_or_else(Error::not_found)
}

pub(super) fn chancellery(app: &App) -> Result<Option<Agency>> {
    Ok(directory::agencies_by_id(app)?
        .into_values()
        .find(|a| a.code.eq_ignore_ascii_case(&app.config.drafts.chancellery_agency)))
}

/// Who may read the draft's documents: the developer, the approving agencies and the
/// Chancellery.
pub(super) fn access_for(app: &App, developer: u64, approving: &[u64]) -> Result<AccessRule> {
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
pub(super) fn title_of(app: &App, d: &Draft) -> Names {
    documents::current_content(app, d.document_id).map(|(_, c)| c.title_names()).unwrap_or_default()
}

/// The title of a version being posted, as [`title_of`] will read it.
fn posted_title(meta: &Meta) -> Names {
    let or_main = |t: &str| if t.trim().is_empty() { meta.title.clone() } else { t.to_owned() };
    Names::new(&or_main(&meta.title_kk), &or_main(&meta.title_ru), &meta.title)
}

pub(super) fn agency_name(app: &App, id: u64) -> Names {
    directory::agencies_by_id(app)
        .ok()
        .and_then(|m| m.get(&id).map(|a| a.names()))
        .unwrap_or_default()
}

/// Enqueues a notice in the current transaction.
pub(super) fn tell(
    app: &App,
    txn: &WriteTransaction,
    to: &[Recipient],
    notice: &Notice,
) -> Result<AfterCommit> {
    notify::enqueue_in(app, txn, to, notice)
}

pub(super) fn merge(a: AfterCommit, b: AfterCommit) -> AfterCommit {
    a.merge(b)
}

pub(super) fn notice(
    key: &'static str,
    d: &Draft,
    title: &Names,
    extra: &[(&'static str, Arg)],
) -> Notice {
    let mut n = Notice::new(key, format!("/drafts/{}", d.id), format!("draft:{}", d.id))
        .arg("title", title.clone())
        .arg("id", d.id);
    n.args.extend(extra.iter().cloned());
    n
}

/// Heads (and, for letters, employees) of agencies.
pub(super) fn heads_of(app: &App, agencies: &[u64]) -> Result<Vec<Recipient>> {
    directory::recipients(app, agencies, &[Role::Head])
}

pub(super) fn okdo(app: &App) -> Result<Vec<Recipient>> {
    let ids: Vec<u64> =
        directory::holders_of(app, Role::OkdoOfficer)?.into_iter().map(|u| u.id).collect();
    directory::recipients_by_id(app, &ids)
}

pub(super) fn everyone_involved(app: &App, d: &Draft) -> Result<Vec<Recipient>> {
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

// ---------------------------------------------------------------------------------------
// Steps without a signature

pub(super) fn step(
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

/// §25: OKDO sets the final status; an absentee vote still open closes with it.
pub fn finish(app: &App, actor: &Actor, id: u64, accepted: bool, reason: &str) -> Result<()> {
    let reason = crate::portal::directory::model::clean_text("reason", reason, 5000)?;
    let me = actor.user_id().unwrap_or(0);
    let closed = std::cell::RefCell::new(None);
    step(app, actor, id, Action::Draft(DraftAction::Chancellery), "draft.finish", &|d, txn| {
        d.finish(accepted, &reason, me, &now()).map_err(refused)?;
        *closed.borrow_mut() = super::vote::close_with_final_status(txn, d, me)?;
        let title = title_of(app, d);
        let key = if accepted { "draft-accepted" } else { "draft-final-rejected" };
        tell(
            app,
            txn,
            &everyone_involved(app, d)?,
            &notice(key, d, &title, &[("reason", Arg::from(reason.clone()))]),
        )
    })?;
    if let Some(poll) = closed.into_inner() {
        crate::portal::polls::service::published(app, &poll);
    }
    Ok(())
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

/// §21: the signed minutes of a Government meeting that accepted a resolution on the draft,
/// attached in the meeting's transaction (the meeting feature checked its own rights: the
/// officer responsible for the meeting signed them). The draft's agencies may read the
/// minutes; everyone involved is told. Returns what to do after the commit.
pub fn minutes_from_meeting_in(
    app: &App,
    txn: &WriteTransaction,
    id: u64,
    document_id: u64,
    by: u64,
) -> Result<AfterCommit> {
    let mut d = store::get_in(txn, id)?.ok_or_else(Error::not_found)?;
    let w = crate::portal::documents::store::Writer(txn);
    let mut doc = w.document(document_id)?.ok_or_else(Error::not_found)?;
    let access = access_for(app, d.developer_agency, &d.approving_agencies)?;
    doc.access.agencies.extend(access.agencies);
    doc.access.agencies.sort_unstable();
    doc.access.agencies.dedup();
    w.put_document(&doc)?;
    d.post_minutes(document_id, by, &now()).map_err(refused)?;
    store::put(txn, &d)?;
    let title = title_of(app, &d);
    tell(app, txn, &everyone_involved(app, &d)?, &notice("draft-minutes", &d, &title, &[]))
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
