//! Headcount monitoring, the steps (I385 §26–§27): the verifier publishes form definitions
//! and opens campaigns; an agency's HR officer creates, fills and submits the return; the
//! verifier returns it with comments per field or accepts it, after which it never changes
//! (the store refuses, see `store.rs`); a correction is a new return naming the accepted
//! one and why. Each step checks the policy, then writes the return, the notices and its
//! access-log entry in one transaction.
//!
//! Refusals of input name the field by its label in the reader's language (the label comes
//! from the form definition), so the steps that read figures take the reader's `lang`.

use std::collections::BTreeMap;

use jiff::civil::Date;
use serde::Deserialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::model::*;
use super::store;
use crate::actor::Actor;
use crate::app::App;
use crate::auth::policy::{Action, HeadcountAction, Object, require};
use crate::auth::roles::Role;
use crate::error::{Code, Error, Result};
use crate::i18n::I18n;
use crate::notify::{self, AfterCommit, Notice, Recipient};
use crate::portal::directory::service as directory;

pub(super) fn now() -> String {
    crate::clock::utc_string(crate::clock::now())
}

pub(super) fn act(a: HeadcountAction) -> Action {
    Action::Headcount(a)
}

pub(super) fn return_object(r: &Return) -> Object<'static> {
    Object::HeadcountReturn { agency: r.agency }
}

fn conflict(field: &str, key: &'static str) -> Error {
    Error::new(Code::Conflict).with_field(field).with_detail_key(key)
}

/// The arguments of a problem's message: labels already in `lang`.
fn problem_args(lang: &str, def: &FormDefinition, p: &Problem) -> Vec<(&'static str, String)> {
    let label = |k: &str| format!("«{}»", def.label(k, lang));
    let mut args: Vec<(&'static str, String)> = vec![("field", label(&p.field))];
    match &p.kind {
        ProblemKind::SumMismatch { parts, sum, total } => {
            args.push(("parts", parts.iter().map(|k| label(k)).collect::<Vec<_>>().join(" + ")));
            args.push(("sum", sum.to_string()));
            args.push(("total", total.to_string()));
        }
        ProblemKind::Exceeds { limit, value, max } => {
            args.push(("limit", label(limit)));
            args.push(("value", value.to_string()));
            args.push(("max", max.to_string()));
        }
        ProblemKind::TooLarge => args.push(("max", MAX_COUNT.to_string())),
        _ => {}
    }
    args
}

/// The sentence that says what is wrong with a field, in `lang`, naming fields by label.
pub fn describe(i18n: &I18n, lang: &str, def: &FormDefinition, p: &Problem) -> String {
    let args = problem_args(lang, def, p);
    let args: Vec<(&str, &str)> = args.iter().map(|(k, v)| (*k, v.as_str())).collect();
    i18n.text_with(lang, p.kind.key(), &args)
}

/// One problem as an error about its field, its message's arguments in `lang` (a form
/// page shows each by its field).
pub fn problem_error(lang: &str, def: &FormDefinition, p: &Problem) -> Error {
    problem_args(lang, def, p)
        .into_iter()
        .fold(Error::invalid(&p.field, p.kind.key()), |e, (k, v)| e.with_arg(k, v))
}

/// The refusal of input: `invalid_input` for the first problem's field, its sentence as
/// the detail (every problem's sentence, one per line, when there are several).
pub(super) fn refusal(app: &App, lang: &str, def: &FormDefinition, problems: &[Problem]) -> Error {
    let detail: Vec<String> = problems.iter().map(|p| describe(&app.i18n, lang, def, p)).collect();
    problem_error(lang, def, &problems[0]).with_detail(detail.join("\n"))
}

/// Every problem of figures typed into a return's form, as errors by field (the form page
/// shows each by its field): the typing first; when `complete` (a submission), then the
/// figures missing and the totals that do not add up.
pub fn input_problems(
    app: &App,
    actor: &Actor,
    id: u64,
    values: &BTreeMap<String, Value>,
    complete: bool,
    lang: &str,
) -> Result<Vec<Error>> {
    let r = readable(app, actor, id)?;
    let def = definition(app, r.form_version)?;
    let problems = match def.parse(values) {
        Err(p) => p,
        Ok(v) if complete => def.problems(&v),
        Ok(_) => Vec::new(),
    };
    Ok(problems.iter().map(|p| problem_error(lang, &def, p)).collect())
}

pub(super) fn definition(app: &App, version: u32) -> Result<FormDefinition> {
    let txn = app.db.read()?;
    store::form(&txn, version)?.ok_or_else(Error::not_found)
}

pub(super) fn latest_definition(app: &App) -> Result<FormDefinition> {
    let txn = app.db.read()?;
    Ok(store::forms(&txn)?.pop().unwrap_or_else(FormDefinition::builtin))
}

pub(super) fn campaign(app: &App, id: u64) -> Result<Campaign> {
    let txn = app.db.read()?;
    store::campaign(&txn, id)?.ok_or_else(Error::not_found)
}

fn load(app: &App, id: u64) -> Result<Return> {
    let txn = app.db.read()?;
    store::get_return(&txn, id)?.ok_or_else(Error::not_found)
}

/// A return the actor may read.
pub(super) fn readable(app: &App, actor: &Actor, id: u64) -> Result<Return> {
    let r = load(app, id)?;
    require(actor, act(HeadcountAction::ReadReturn), return_object(&r))?;
    Ok(r)
}

fn hr_officers(app: &App, agency: u64) -> Result<Vec<Recipient>> {
    directory::recipients(app, &[agency], &[Role::HrOfficer])
}

fn verifiers(app: &App) -> Result<Vec<Recipient>> {
    let all: Vec<u64> = directory::agencies_by_id(app)?.into_keys().collect();
    directory::recipients(app, &all, &[Role::CivilServiceVerifier])
}

fn notice(key: &'static str, r: &Return, period: &str, app: &App) -> Result<Notice> {
    let agency =
        directory::agencies_by_id(app)?.remove(&r.agency).map(|a| a.names()).unwrap_or_default();
    Ok(Notice::new(key, format!("/headcount/returns/{}", r.id), format!("headcount:{}", r.id))
        .arg("period", period.to_owned())
        .arg("agency", agency))
}

// ---------------------------------------------------------------------------------------
// Form definitions and campaigns

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(default)]
pub struct NewDefinition {
    pub fields: Vec<FieldDef>,
    pub rules: Vec<Rule>,
}

/// Publishes the next version of the form definition (used by campaigns opened later).
pub fn publish_definition(app: &App, actor: &Actor, input: NewDefinition) -> Result<u32> {
    require(actor, act(HeadcountAction::ManageForms), Object::Appliance)?;
    let def = FormDefinition {
        version: 0,
        fields: input.fields,
        rules: input.rules,
        created_at: now(),
        created_by: actor.user_id(),
    };
    def.check().map_err(|p| {
        let (field, key) = match p {
            DefinitionProblem::FieldCount => (String::new(), "headcount-definition-fields"),
            DefinitionProblem::Key(k) => (k, "headcount-definition-key"),
            DefinitionProblem::Label(k) => (k, "headcount-definition-label"),
            DefinitionProblem::Rule(k) => (k, "headcount-definition-rule"),
        };
        Error::invalid("fields", key).with_detail(field)
    })?;
    app.audit.change(actor, "headcount.publish_form", |txn| {
        let version = store::add_form(txn, def.clone())?;
        Ok((version, Some(json!({"version": version, "fields": def.fields.len()}))))
    })
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(default)]
pub struct NewCampaign {
    /// `2026-11`, `2026-Q4` or `2026-12-01`.
    pub period: String,
    /// The last day returns are on time; by default the `due_working_days`-th working day
    /// after the period ends.
    pub due: String,
    /// Agency codes; empty: every agency.
    pub agencies: Vec<String>,
    /// The form version; by default the latest.
    pub form_version: Option<u32>,
}

/// Opens a campaign for a period and tells the HR officers of the agencies called.
pub fn open_campaign(app: &App, actor: &Actor, input: NewCampaign) -> Result<Campaign> {
    require(actor, act(HeadcountAction::ManageCampaigns), Object::Appliance)?;
    let period = Period::parse(&input.period)
        .ok_or_else(|| Error::invalid("period", "headcount-period-invalid"))?;
    let form_version = match input.form_version {
        Some(v) => {
            definition(app, v)
                .map_err(|_| Error::invalid("form_version", "headcount-form-unknown"))?
                .version
        }
        None => latest_definition(app)?.version,
    };
    let due = if input.due.trim().is_empty() {
        app.calendar
            .get()
            .add_working_days(period.end, app.config.headcount.due_working_days as i32)
    } else {
        input
            .due
            .trim()
            .parse::<Date>()
            .map_err(|_| Error::invalid("due", "headcount-date-invalid"))?
    };
    if due < period.end {
        return Err(Error::invalid("due", "headcount-due-before-period"));
    }
    let directory = directory::agencies_by_id(app)?;
    let mut agencies: Vec<u64> = if input.agencies.is_empty() {
        directory.keys().copied().collect()
    } else {
        let mut v = Vec::new();
        for code in &input.agencies {
            let a =
                directory.values().find(|a| a.code.eq_ignore_ascii_case(code.trim())).ok_or_else(
                    || Error::invalid("agencies", "unknown-agency").with_detail(code.clone()),
                )?;
            v.push(a.id);
        }
        v
    };
    agencies.sort_unstable();
    agencies.dedup();
    let me = actor.user_id().unwrap_or(0);
    let (campaign, after) = app.audit.change(actor, "headcount.open_campaign", |txn| {
        {
            use redb::ReadableTable;
            for row in txn.open_table(store::CAMPAIGNS)?.iter()? {
                let c: Campaign = serde_json::from_slice(row?.1.value())?;
                if c.period.key == period.key {
                    return Err(conflict("period", "headcount-period-exists"));
                }
            }
        }
        let c = Campaign {
            id: crate::db::next_id(txn, "headcount_campaign")?,
            period: period.clone(),
            form_version,
            due,
            agencies: agencies.clone(),
            opened_at: now(),
            opened_by: me,
        };
        store::put_campaign(txn, &c)?;
        let to = directory::recipients(app, &agencies, &[Role::HrOfficer])?;
        let n = Notice::new(
            "headcount-campaign-opened",
            "/headcount",
            format!("headcount-campaign:{}", c.id),
        )
        .arg("period", period.key.clone())
        .arg("due", due.strftime("%d.%m.%Y").to_string());
        let after = notify::enqueue_in(app, txn, &to, &n)?;
        let detail = json!({"campaign": c.id, "period": period.key, "due": due.to_string()});
        Ok(((c, after), Some(detail)))
    })?;
    notify::after_commit(app, after);
    Ok(campaign)
}

// ---------------------------------------------------------------------------------------
// Returns

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(default)]
pub struct NewReturn {
    pub campaign: u64,
    /// The agency's code; by default the HR officer's own.
    pub agency: String,
    pub values: BTreeMap<String, Value>,
    /// The accepted return this one corrects (with `reason`).
    pub corrects: Option<u64>,
    pub reason: String,
}

/// Creates the agency's return for a campaign (a draft), or a correction of its accepted
/// return.
pub fn create_return(app: &App, actor: &Actor, input: NewReturn, lang: &str) -> Result<u64> {
    let me = actor.user().ok_or_else(Error::forbidden)?.clone();
    let agency = if input.agency.trim().is_empty() {
        me.agency_id
    } else {
        directory::agencies_by_id(app)?
            .into_values()
            .find(|a| a.code.eq_ignore_ascii_case(input.agency.trim()))
            .map(|a| a.id)
            .ok_or_else(|| {
                Error::invalid("agency", "unknown-agency").with_detail(input.agency.clone())
            })?
    };
    require(actor, act(HeadcountAction::EditReturn), Object::HeadcountReturn { agency })?;
    let c = campaign(app, input.campaign)
        .map_err(|_| Error::invalid("campaign", "headcount-campaign-unknown"))?;
    if !c.agencies.contains(&agency) {
        return Err(Error::invalid("agency", "headcount-agency-not-called"));
    }
    let def = definition(app, c.form_version)?;
    let given = def.parse(&input.values).map_err(|p| refusal(app, lang, &def, &p))?;
    let reason = input.reason.trim().to_owned();
    if input.corrects.is_some() && reason.is_empty() {
        return Err(Error::invalid("reason", "headcount-reason-required"));
    }
    if reason.chars().count() > 2000 {
        return Err(Error::invalid("reason", "headcount-text-too-long"));
    }
    app.audit.change(actor, "headcount.create_return", |txn| {
        let existing = store::agency_returns_in(txn, c.id, agency)?;
        let mut values = Values::new();
        match input.corrects {
            None if !existing.is_empty() => {
                return Err(conflict("campaign", "headcount-return-exists"));
            }
            None => {}
            Some(id) => {
                let current = current_accepted(existing.iter());
                let Some(base) = current.filter(|r| r.id == id) else {
                    return Err(conflict("corrects", "headcount-correct-only-accepted"));
                };
                if existing.iter().any(|r| r.state != State::Accepted) {
                    return Err(conflict("corrects", "headcount-correction-open"));
                }
                values = base.values.clone();
            }
        }
        values.extend(given.clone());
        let r = Return {
            id: crate::db::next_id(txn, "headcount_return")?,
            campaign: c.id,
            agency,
            form_version: c.form_version,
            values,
            state: State::Draft,
            revision: 1,
            corrects: input.corrects,
            reason: reason.clone(),
            comments: Vec::new(),
            created_at: now(),
            created_by: me.id,
            submitted: None,
            accepted: None,
            signature: None,
            history: vec![Event { at: now(), by: me.id, what: "created".into(), comments: vec![] }],
        };
        store::put_return(txn, &r)?;
        let detail =
            json!({"return": r.id, "campaign": c.id, "agency": agency, "corrects": r.corrects});
        Ok((r.id, Some(detail)))
    })
}

/// The HR officer's change to a return in the transaction: loaded fresh, refused when
/// accepted (§27), submitted (the verifier has it) or changed since `revision`.
fn edit<T>(
    app: &App,
    actor: &Actor,
    id: u64,
    revision: Option<u64>,
    operation: &str,
    change: impl FnOnce(&mut Return, &WriteTxn) -> Result<(T, AfterCommit)>,
) -> Result<T> {
    let r = readable(app, actor, id)?;
    require(actor, act(HeadcountAction::EditReturn), return_object(&r))?;
    let (out, after) = app.audit.change(actor, operation, |txn| {
        let mut r = store::return_in(txn, id)?.ok_or_else(Error::not_found)?;
        if r.state == State::Accepted {
            return Err(store::accepted_refusal());
        }
        if !r.state.editable() {
            return Err(conflict("state", "headcount-return-submitted"));
        }
        if revision.is_some_and(|rev| rev != r.revision) {
            return Err(conflict("revision", "headcount-edited-meanwhile"));
        }
        let out = change(&mut r, txn)?;
        r.revision += 1;
        store::put_return(txn, &r)?;
        let detail = json!({"return": id, "revision": r.revision, "state": r.state.name()});
        Ok((out, Some(detail)))
    })?;
    notify::after_commit(app, after);
    Ok(out)
}

type WriteTxn = redb::WriteTransaction;

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(default)]
pub struct SaveReturn {
    /// Every figure of the return (a figure left out is emptied).
    pub values: BTreeMap<String, Value>,
    /// The revision the change was made on; a newer stored one is refused (409).
    pub revision: Option<u64>,
}

/// Saves the figures of a draft (or returned) return; totals are checked at submission.
/// Changed figures drop the head's signature: it covered the figures as they were.
pub fn save(app: &App, actor: &Actor, id: u64, input: SaveReturn, lang: &str) -> Result<()> {
    let me = actor.user_id().unwrap_or(0);
    edit(app, actor, id, input.revision, "headcount.save_return", |r, _| {
        let def = definition(app, r.form_version)?;
        let values = def.parse(&input.values).map_err(|p| refusal(app, lang, &def, &p))?;
        if values != r.values {
            r.signature = None;
        }
        r.values = values;
        r.history.push(Event { at: now(), by: me, what: "saved".into(), comments: vec![] });
        Ok(((), AfterCommit::default()))
    })
}

/// The exact bytes the head signs (and an acceptance digests): the return's canonical
/// text, `text/plain; charset=utf-8`.
pub fn text(app: &App, actor: &Actor, id: u64) -> Result<Vec<u8>> {
    let r = readable(app, actor, id)?;
    let c = campaign(app, r.campaign)?;
    actor.origin.set_operation("headcount.return_text");
    Ok(r.canonical(&c.period.key).into_bytes())
}

/// The agency head's optional signature before submission (§26): a CMS over the return's
/// canonical text, verified by the portal's signatures service (chain, CRLs, the
/// certificate registered to the head). Refused once submitted, and when the figures
/// changed after the text was taken (the signature would cover other figures).
pub fn sign(app: &App, actor: &Actor, id: u64, cms: &[u8]) -> Result<()> {
    let r = readable(app, actor, id)?;
    require(actor, act(HeadcountAction::SignReturn), return_object(&r))?;
    let me = actor.user_id().ok_or_else(Error::forbidden)?;
    let c = campaign(app, r.campaign)?;
    if r.state == State::Accepted {
        return Err(store::accepted_refusal());
    }
    if !r.state.editable() {
        return Err(conflict("state", "headcount-return-submitted"));
    }
    let text = r.canonical(&c.period.key);
    let verdict = crate::sign::service::verify_for_user(app, Some(me), text.as_bytes(), cms)?;
    if let crate::sign::verdict::Verdict::Invalid(rejection) = &verdict {
        actor.origin.set_detail(json!({"return": id, "reason": rejection.reason.name()}));
        return Err(rejection.clone().into());
    }
    let der = crate::sign::cms::decode_input(cms).map_err(Error::from)?;
    let digest = hex::encode(Sha256::digest(text.as_bytes()));
    app.audit.change(actor, "headcount.sign_return", |txn| {
        let mut r = store::return_in(txn, id)?.ok_or_else(Error::not_found)?;
        if r.state == State::Accepted {
            return Err(store::accepted_refusal());
        }
        if !r.state.editable() {
            return Err(conflict("state", "headcount-return-submitted"));
        }
        // The figures must still be those signed (saved meanwhile: sign the new text).
        if r.canonical(&c.period.key) != text {
            return Err(conflict("signature", "headcount-signed-text-changed"));
        }
        r.signature = Some(HeadSignature {
            by: me,
            at: now(),
            digest: digest.clone(),
            cms: crate::sign::store::b64(&der),
            verdict: verdict.clone(),
        });
        r.revision += 1;
        r.history.push(Event { at: now(), by: me, what: "signed".into(), comments: vec![] });
        store::put_return(txn, &r)?;
        Ok(((), Some(json!({"return": id, "digest": digest, "revision": r.revision}))))
    })
}

/// Submits the return (§26): every figure present and every total adding up; after the
/// campaign's due date it is accepted for review but marked late, in working days.
pub fn submit(app: &App, actor: &Actor, id: u64, revision: Option<u64>, lang: &str) -> Result<()> {
    let me = actor.user_id().unwrap_or(0);
    edit(app, actor, id, revision, "headcount.submit_return", |r, txn| {
        let def = definition(app, r.form_version)?;
        let problems = def.problems(&r.values);
        if !problems.is_empty() {
            return Err(refusal(app, lang, &def, &problems));
        }
        let c = campaign(app, r.campaign)?;
        let day = crate::calendar::today();
        let late = day > c.due;
        let days = if late { app.calendar.get().working_days_between(c.due, day) } else { 0 };
        r.submitted = Some(Submission { at: now(), by: me, late, late_working_days: days });
        r.state = State::Submitted;
        r.comments.clear();
        r.history.push(Event { at: now(), by: me, what: "submitted".into(), comments: vec![] });
        let n = notice("headcount-submitted", r, &c.period.key, app)?;
        Ok(((), notify::enqueue_in(app, txn, &verifiers(app)?, &n)?))
    })
}

/// The verifier's decision on a submitted return (§27).
#[derive(Debug, Clone)]
pub enum Decision {
    Accept,
    Return { comments: Vec<FieldComment> },
}

/// Accepts a submitted return — from then on it never changes — or returns it to the
/// agency with comments on its fields.
pub fn review(app: &App, actor: &Actor, id: u64, decision: Decision, lang: &str) -> Result<State> {
    let r = readable(app, actor, id)?;
    require(actor, act(HeadcountAction::ReviewReturn), return_object(&r))?;
    let me = actor.user_id().unwrap_or(0);
    let def = definition(app, r.form_version)?;
    let c = campaign(app, r.campaign)?;
    let comments = match &decision {
        Decision::Accept => Vec::new(),
        Decision::Return { comments } => {
            let mut out = Vec::new();
            for (i, cm) in comments.iter().enumerate() {
                let text = cm.text.trim();
                if text.is_empty() {
                    continue;
                }
                if text.chars().count() > 2000 {
                    return Err(Error::invalid(
                        &format!("comments[{i}].text"),
                        "headcount-text-too-long",
                    ));
                }
                if !cm.field.is_empty() && def.field(&cm.field).is_none() {
                    return Err(Error::invalid(
                        &format!("comments[{i}].field"),
                        "headcount-problem-unknown",
                    )
                    .with_detail(cm.field.clone()));
                }
                out.push(FieldComment { field: cm.field.clone(), text: text.to_owned() });
            }
            if out.is_empty() {
                return Err(Error::invalid("comments", "headcount-comment-required"));
            }
            out
        }
    };
    let operation = match decision {
        Decision::Accept => "headcount.accept_return",
        Decision::Return { .. } => "headcount.return_return",
    };
    let (state, after) = app.audit.change(actor, operation, |txn| {
        let mut r = store::return_in(txn, id)?.ok_or_else(Error::not_found)?;
        if r.state == State::Accepted {
            return Err(store::accepted_refusal());
        }
        if r.state != State::Submitted {
            return Err(conflict("state", "headcount-return-not-submitted"));
        }
        let key = match decision {
            Decision::Accept => {
                let problems = def.problems(&r.values);
                if !problems.is_empty() {
                    return Err(refusal(app, lang, &def, &problems));
                }
                r.state = State::Accepted;
                let digest = hex::encode(Sha256::digest(r.canonical(&c.period.key).as_bytes()));
                r.accepted = Some(Acceptance { at: now(), by: me, digest });
                r.history.push(Event {
                    at: now(),
                    by: me,
                    what: "accepted".into(),
                    comments: vec![],
                });
                "headcount-accepted"
            }
            Decision::Return { .. } => {
                r.state = State::Returned;
                r.comments = comments.clone();
                r.history.push(Event {
                    at: now(),
                    by: me,
                    what: "returned".into(),
                    comments: comments.clone(),
                });
                "headcount-returned"
            }
        };
        r.revision += 1;
        store::put_return(txn, &r)?;
        let n = notice(key, &r, &c.period.key, app)?;
        let mut after = notify::enqueue_in(app, txn, &hr_officers(app, r.agency)?, &n)?;
        // The notice that asked the verifier to review is answered.
        after.users.extend(notify::mark_topic_read_in(txn, me, &format!("headcount:{id}"))?.users);
        let detail = json!({"return": id, "state": r.state.name(), "comments": comments.len()});
        Ok(((r.state, after), Some(detail)))
    })?;
    notify::after_commit(app, after);
    Ok(state)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every refusal of a figure reads as a sentence in kk, ru and en that names the field
    /// by its label in that language, with nothing left unfilled.
    #[test]
    fn every_problem_names_the_field_by_its_label_in_each_language() {
        let i18n = I18n::load();
        let def = FormDefinition::builtin();
        let kinds = [
            ProblemKind::Required,
            ProblemKind::NotInteger,
            ProblemKind::Negative,
            ProblemKind::TooLarge,
            ProblemKind::Unknown,
            ProblemKind::SumMismatch {
                parts: vec!["filled".into(), "vacant".into()],
                sum: 12,
                total: 11,
            },
            ProblemKind::Exceeds { limit: "filled".into(), value: 9, max: 8 },
        ];
        for lang in ["kk", "ru", "en"] {
            for kind in &kinds {
                let p = Problem { field: "approved".into(), kind: kind.clone() };
                let text = describe(&i18n, lang, &def, &p);
                let label = def.label("approved", lang);
                assert!(text.contains(&format!("«{label}»")), "{lang}: {text}");
                assert!(!text.contains('{') && !text.contains("headcount-"), "{lang}: {text}");
                if matches!(kind, ProblemKind::SumMismatch { .. }) {
                    assert!(
                        text.contains(&def.label("vacant", lang)) && text.contains("12"),
                        "{text}"
                    );
                }
            }
        }
    }
}
