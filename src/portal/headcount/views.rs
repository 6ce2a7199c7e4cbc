//! What people read of headcount monitoring: campaigns with each called agency's standing,
//! a return with its fields under their labels (in the reader's language), the problems
//! still to fix and the verifier's comments, and the lists of returns (the verifier's queue,
//! an agency's own).

use std::collections::HashMap;

use jiff::civil::Date;
use serde::Serialize;
use sha2::Digest;

use super::model::*;
use super::service::{self, act, describe, return_object};
use super::store;
use crate::actor::Actor;
use crate::app::App;
use crate::auth::policy::{HeadcountAction, Object, decide, require};
use crate::error::Result;
use crate::portal::directory::model::Agency;
use crate::portal::directory::service as directory;

#[derive(Debug, Clone, Serialize)]
pub struct AgencyRef {
    pub id: u64,
    pub code: String,
    pub name: String,
}

pub(super) fn agency_ref(agencies: &HashMap<u64, Agency>, id: u64, lang: &str) -> AgencyRef {
    match agencies.get(&id) {
        Some(a) => AgencyRef { id, code: a.code.clone(), name: a.name(lang).to_owned() },
        None => AgencyRef { id, code: String::new(), name: format!("#{id}") },
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct FieldView {
    pub key: String,
    pub label: String,
    pub value: Option<u64>,
    /// The verifier's comment on this field, if the return came back.
    pub comment: Option<String>,
    /// What is wrong with it now (a missing figure, a total that does not add up).
    pub problem: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ProblemView {
    pub field: String,
    pub label: String,
    pub message: String,
}

/// The head's signature as people read it.
#[derive(Debug, Clone, Serialize)]
pub struct SignatureView {
    /// The head's name in the reader's language.
    pub by: String,
    pub at: String,
    /// `valid` or `invalid` (the verdict when it was given, §26).
    pub status: String,
    /// The signing certificate's subject.
    pub subject: String,
    /// SHA-256 of the text signed.
    pub digest: String,
    /// Whether it covers the figures as they are now.
    pub covers_current: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct ReturnView {
    pub id: u64,
    pub campaign: u64,
    pub period: String,
    pub due: Date,
    pub agency: AgencyRef,
    pub state: State,
    pub revision: u64,
    pub form_version: u32,
    pub fields: Vec<FieldView>,
    pub problems: Vec<ProblemView>,
    /// The verifier's comment on the return as a whole.
    pub general_comments: Vec<String>,
    pub corrects: Option<u64>,
    pub reason: String,
    /// Corrections made of this return (newest last).
    pub corrected_by: Vec<u64>,
    /// Whether its figures are the agency's figures for the period now.
    pub current: bool,
    pub submitted: Option<Submission>,
    pub accepted: Option<Acceptance>,
    pub history: Vec<Event>,
    pub signature: Option<SignatureView>,
    pub can_edit: bool,
    /// Whether the reader (the agency's head) may sign it now.
    pub can_sign: bool,
    pub can_review: bool,
    pub can_correct: bool,
}

pub fn get(app: &App, actor: &Actor, id: u64, lang: &str) -> Result<ReturnView> {
    let r = service::readable(app, actor, id)?;
    let c = service::campaign(app, r.campaign)?;
    let def = service::definition(app, r.form_version)?;
    let siblings = {
        let txn = app.db.read()?;
        store::returns_of(&txn, r.campaign)?
    };
    let siblings: Vec<&Return> = siblings.iter().filter(|s| s.agency == r.agency).collect();
    let agencies = directory::agencies_by_id(app)?;
    let problems = def.problems(&r.values);
    let problem_of = |k: &str| {
        problems.iter().find(|p| p.field == k).map(|p| describe(&app.i18n, lang, &def, p))
    };
    let fields = def
        .fields
        .iter()
        .map(|f| FieldView {
            key: f.key.clone(),
            label: f.label.get(lang).to_owned(),
            value: r.values.get(&f.key).copied(),
            comment: r.comments.iter().find(|c| c.field == f.key).map(|c| c.text.clone()),
            problem: if r.state.editable() { problem_of(&f.key) } else { None },
        })
        .collect();
    let current = current_accepted(siblings.iter().copied()).map(|a| a.id);
    let open_correction = siblings.iter().any(|s| s.state != State::Accepted);
    let may = |a| decide(actor, act(a), return_object(&r));
    let signature = match &r.signature {
        Some(sig) => {
            let by = directory::users_by_id(app, &[sig.by])?
                .into_iter()
                .next()
                .map(|u| u.names().get(lang).to_owned())
                .unwrap_or_else(|| format!("#{}", sig.by));
            let text = r.canonical(&c.period.key);
            let now = hex::encode(sha2::Sha256::digest(text.as_bytes()));
            Some(SignatureView {
                by,
                at: sig.at.clone(),
                status: if sig.verdict.is_valid() { "valid" } else { "invalid" }.into(),
                subject: match &sig.verdict {
                    crate::sign::verdict::Verdict::Valid(report) => report.signer.subject.clone(),
                    crate::sign::verdict::Verdict::Invalid(_) => String::new(),
                },
                digest: sig.digest.clone(),
                covers_current: now == sig.digest,
            })
        }
        None => None,
    };
    Ok(ReturnView {
        id: r.id,
        campaign: r.campaign,
        period: c.period.key.clone(),
        due: c.due,
        agency: agency_ref(&agencies, r.agency, lang),
        state: r.state,
        revision: r.revision,
        form_version: r.form_version,
        fields,
        problems: problems
            .iter()
            .map(|p| ProblemView {
                field: p.field.clone(),
                label: def.label(&p.field, lang),
                message: describe(&app.i18n, lang, &def, p),
            })
            .collect(),
        general_comments: r
            .comments
            .iter()
            .filter(|c| c.field.is_empty())
            .map(|c| c.text.clone())
            .collect(),
        corrects: r.corrects,
        reason: r.reason.clone(),
        corrected_by: siblings.iter().filter(|s| s.corrects == Some(r.id)).map(|s| s.id).collect(),
        current: current == Some(r.id),
        submitted: r.submitted.clone(),
        accepted: r.accepted.clone(),
        history: r.history.clone(),
        signature,
        can_edit: r.state.editable() && may(HeadcountAction::EditReturn),
        can_sign: r.state.editable() && may(HeadcountAction::SignReturn),
        can_review: r.state == State::Submitted && may(HeadcountAction::ReviewReturn),
        can_correct: current == Some(r.id) && !open_correction && may(HeadcountAction::EditReturn),
    })
}

#[derive(Debug, Clone, Serialize)]
pub struct ReturnRow {
    pub id: u64,
    pub campaign: u64,
    pub period: String,
    pub agency: AgencyRef,
    pub state: State,
    pub revision: u64,
    pub corrects: Option<u64>,
    pub late: bool,
    pub late_working_days: i64,
    pub submitted_at: Option<String>,
}

/// Returns the actor may read: the verifier every agency's, others their own agency's;
/// of one campaign, or of all; `state` narrows (the verifier's queue is `submitted`).
pub fn list(
    app: &App,
    actor: &Actor,
    campaign: Option<u64>,
    state: Option<State>,
    lang: &str,
) -> Result<Vec<ReturnRow>> {
    require(actor, act(HeadcountAction::ReadCampaigns), Object::Appliance)?;
    actor.origin.set_operation(HeadcountAction::ReadReturn.name());
    let txn = app.db.read()?;
    let campaigns: HashMap<u64, Campaign> =
        store::campaigns(&txn)?.into_iter().map(|c| (c.id, c)).collect();
    let agencies = directory::agencies_by_id(app)?;
    let mut out = Vec::new();
    let mut ids: Vec<u64> =
        campaigns.keys().copied().filter(|c| campaign.is_none_or(|x| x == *c)).collect();
    ids.sort_unstable();
    for cid in ids.into_iter().rev() {
        for r in store::returns_of(&txn, cid)? {
            if state.is_some_and(|s| s != r.state)
                || !decide(actor, act(HeadcountAction::ReadReturn), return_object(&r))
            {
                continue;
            }
            out.push(ReturnRow {
                id: r.id,
                campaign: cid,
                period: campaigns[&cid].period.key.clone(),
                agency: agency_ref(&agencies, r.agency, lang),
                state: r.state,
                revision: r.revision,
                corrects: r.corrects,
                late: r.submitted.as_ref().is_some_and(|s| s.late),
                late_working_days: r.submitted.as_ref().map(|s| s.late_working_days).unwrap_or(0),
                submitted_at: r.submitted.as_ref().map(|s| s.at.clone()),
            });
        }
    }
    Ok(out)
}

#[derive(Debug, Clone, Serialize)]
pub struct CampaignView {
    pub id: u64,
    pub period: String,
    pub kind: PeriodKind,
    pub start: Date,
    pub end: Date,
    pub due: Date,
    /// Working days left to the due date (negative: days past it).
    pub working_days_left: i64,
    pub form_version: u32,
    pub agencies: usize,
    /// Returns by state, and agencies that have none yet (`not_started`).
    pub counts: std::collections::BTreeMap<String, usize>,
    /// The actor's own agency's return, if the actor's agency is called.
    pub my_return: Option<u64>,
    pub my_agency_called: bool,
}

pub fn campaigns(app: &App, actor: &Actor) -> Result<Vec<CampaignView>> {
    require(actor, act(HeadcountAction::ReadCampaigns), Object::Appliance)?;
    let txn = app.db.read()?;
    let cal = app.calendar.get();
    let today = crate::calendar::today();
    let mine = actor.user().map(|u| u.agency_id);
    let mut out = Vec::new();
    for c in store::campaigns(&txn)?.into_iter().rev() {
        let returns = store::returns_of(&txn, c.id)?;
        let mut counts = std::collections::BTreeMap::new();
        for a in &c.agencies {
            // An agency's standing is that of its latest return.
            let state = returns
                .iter()
                .filter(|r| r.agency == *a)
                .max_by_key(|r| r.id)
                .map(|r| r.state.name())
                .unwrap_or("not_started");
            *counts.entry(state.to_owned()).or_insert(0) += 1;
        }
        out.push(CampaignView {
            id: c.id,
            period: c.period.key.clone(),
            kind: c.period.kind,
            start: c.period.start,
            end: c.period.end,
            due: c.due,
            working_days_left: cal.working_days_between(today, c.due),
            form_version: c.form_version,
            agencies: c.agencies.len(),
            counts,
            my_return: returns
                .iter()
                .filter(|r| Some(r.agency) == mine && r.corrects.is_none())
                .map(|r| r.id)
                .next(),
            my_agency_called: mine.is_some_and(|m| c.agencies.contains(&m)),
        });
    }
    Ok(out)
}

/// A published version of the form definition and the campaigns that fixed it.
#[derive(Debug, Clone, Serialize)]
pub struct FormVersionView {
    pub version: u32,
    /// Empty for the built-in version 1.
    pub created_at: String,
    pub fields: Vec<(String, String)>,
    /// The totals, as sentences of labels (`«Filled» + «Vacant» = «Approved»`).
    pub rules: Vec<String>,
    /// Periods whose campaigns use this version.
    pub periods: Vec<String>,
}

/// Every version of the form definition, newest first, with the periods that use each:
/// a campaign fixes its version when it is opened (§26), so earlier periods keep theirs.
pub fn form_versions(app: &App, actor: &Actor, lang: &str) -> Result<Vec<FormVersionView>> {
    require(actor, act(HeadcountAction::ReadCampaigns), Object::Appliance)?;
    actor.origin.set_operation("headcount.read_forms");
    let txn = app.db.read()?;
    let campaigns = store::campaigns(&txn)?;
    let mut out: Vec<FormVersionView> = store::forms(&txn)?
        .into_iter()
        .map(|d| {
            let label = |k: &str| format!("«{}»", d.label(k, lang));
            FormVersionView {
                version: d.version,
                created_at: d.created_at.clone(),
                fields: d
                    .fields
                    .iter()
                    .map(|f| (f.key.clone(), f.label.get(lang).to_owned()))
                    .collect(),
                rules: d
                    .rules
                    .iter()
                    .map(|r| match r {
                        Rule::Sum { total, parts } => format!(
                            "{} = {}",
                            parts.iter().map(|p| label(p)).collect::<Vec<_>>().join(" + "),
                            label(total)
                        ),
                        Rule::AtMost { field, limit } => {
                            format!("{} ≤ {}", label(field), label(limit))
                        }
                    })
                    .collect(),
                periods: campaigns
                    .iter()
                    .filter(|c| c.form_version == d.version)
                    .map(|c| c.period.key.clone())
                    .collect(),
            }
        })
        .collect();
    out.reverse();
    Ok(out)
}
