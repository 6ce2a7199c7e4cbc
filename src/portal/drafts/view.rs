//! Reading draft acts (I385 §12–§25): the approval sheet, the stage's deadline, what the
//! person may do now, the absentee vote's poll as the voting engine shows it, the cover
//! letter for the external e-document system, and the overdue notices.

use std::collections::HashMap;

use serde::Serialize;
use serde_json::json;

use super::model::*;
use super::service::{heads_of, load, notice, now, object, okdo, tell, title_of};
use super::store;
use crate::actor::Actor;
use crate::app::App;
use crate::auth::policy::{Action, DraftAction, decide, require};
use crate::error::{Error, Result};
use crate::notify::{self, Arg};
use crate::portal::directory::service as directory;
use crate::portal::documents::service as documents;
use crate::portal::documents::signatures;
use crate::portal::polls::view::PollView;

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
    /// The absentee vote in the form earlier clients read (`for`, `against`, `not_voted`,
    /// `heads`); the full poll is in `poll`.
    pub vote: Option<serde_json::Value>,
    /// The absentee vote's poll as this person sees it.
    pub poll: Option<PollView>,
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
        // Ballots are cast in the poll's own panel (`polls/panel.html`).
        Stage::Voting if decide(actor, Action::Draft(DraftAction::Chancellery), o) => {
            out.push("finish")
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
    let people_ids: Vec<u64> = d.timeline.iter().map(|e| e.user_id).collect();
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
    let poll = match d.poll {
        Some(id) => {
            let poll = crate::portal::polls::service::get(app, id)?;
            Some(crate::portal::polls::view::view_within_subject(app, actor, &poll, lang)?)
        }
        None => None,
    };
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
        vote: poll.as_ref().map(|p| vote_summary(p, d.version)),
        poll,
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

/// The vote as earlier clients of `/api/v1/drafts/{id}` read it. Counts and ballots are the
/// poll's, hidden while the poll hides them.
fn vote_summary(p: &PollView, version: u32) -> serde_json::Value {
    let count =
        |key: &str| p.tally.as_ref().and_then(|t| t.iter().find(|c| c.key == key)).map(|c| c.count);
    json!({
        "version": version,
        "poll": p.id,
        "for": count("for"),
        "against": count("against"),
        "not_voted": p.electorate - p.voted,
        "heads": p.seats.iter().map(|s| json!({"id": s.member, "name": s.name, "ballot": s.choice})).collect::<Vec<_>>(),
    })
}
