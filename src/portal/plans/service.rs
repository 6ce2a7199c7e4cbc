//! Action plans, the steps (I385 §29–§35). Each step checks the policy, then writes the
//! item (or plan), the notices to the people who act next and its access-log entry in one
//! transaction. The consolidated report is a portal document, signed by the head as any
//! document version is (`documents::signatures::submit_with`), and opened to the owner
//! agency in the signature's transaction (§36–§37).

use std::cell::RefCell;
use std::collections::{BTreeSet, HashMap};

use jiff::civil::Date;
use redb::WriteTransaction;
use serde::Deserialize;
use serde_json::json;

use super::model::*;
use super::store;
use crate::actor::Actor;
use crate::app::App;
use crate::auth::policy::{Action, Object, PlanAction, require};
use crate::auth::roles::Role;
use crate::error::{Code, Error, Result};
use crate::notify::{self, AfterCommit, Notice, Recipient};
use crate::portal::directory::model::Agency;
use crate::portal::directory::service as directory;
use crate::portal::documents::model::{AccessRule, VersionContent};
use crate::portal::documents::signatures::{self, SignatureRecord};

pub(super) fn now() -> String {
    crate::clock::utc_string(crate::clock::now())
}

pub(super) fn refused(r: Refusal) -> Error {
    Error::new(Code::Conflict).with_detail_key(r.key())
}

fn invalid(field: String, r: Refusal) -> Error {
    Error::new(Code::InvalidInput).with_field(&field).with_detail_key(r.key())
}

pub(super) fn plan_object(p: &Plan) -> Object<'_> {
    Object::Plan { owner: p.owner, executors: &p.executors }
}

pub(super) fn item_object<'a>(p: &Plan, it: &Item, executors: &'a [u64]) -> Object<'a> {
    Object::PlanItem { owner: p.owner, responsible: it.responsible, task_executors: executors }
}

pub(super) fn report_object(p: &Plan, it: &Item) -> Option<Object<'static>> {
    it.consolidated.as_ref().map(|c| Object::PlanReport {
        owner: p.owner,
        responsible: it.responsible,
        author: c.author,
        signed: c.signed.is_some(),
    })
}

/// A plan the actor may read (an unreadable one answers like a missing one).
pub(super) fn readable(app: &App, actor: &Actor, id: u64) -> Result<Plan> {
    let plan = {
        let txn = app.db.read()?;
        store::plan(&txn, id)?.ok_or_else(Error::not_found)?
    };
    require(actor, Action::Plan(PlanAction::Read), plan_object(&plan))?;
    Ok(plan)
}

pub(super) fn load_item(app: &App, plan: u64, item: u64) -> Result<Item> {
    let txn = app.db.read()?;
    store::item(&txn, plan, item)?.ok_or_else(Error::not_found)
}

fn tell(
    app: &App,
    txn: &WriteTransaction,
    to: &[Recipient],
    notice: &Notice,
) -> Result<AfterCommit> {
    notify::enqueue_in(app, txn, to, notice)
}

pub(super) fn notice(key: &'static str, p: &Plan, it: Option<&Item>) -> Notice {
    let (link, topic) = match it {
        Some(it) => {
            (format!("/plans/{}/items/{}", p.id, it.id), format!("plan:{}:{}", p.id, it.id))
        }
        None => (format!("/plans/{}", p.id), format!("plan:{}", p.id)),
    };
    let mut n = Notice::new(key, link, topic).arg("plan", p.title.clone());
    if let Some(it) = it {
        n = n.arg("number", it.number.clone()).arg("item", it.title.clone());
    }
    n
}

/// The plan officers (and, for `heads`, the heads) of agencies.
pub(super) fn officers(app: &App, agencies: &[u64], heads: bool) -> Result<Vec<Recipient>> {
    let roles: &[Role] = if heads { &[Role::Head] } else { &[Role::PlanResponsible] };
    directory::recipients(app, agencies, roles)
}

fn today() -> Date {
    crate::calendar::today()
}

// ---------------------------------------------------------------------------------------
// Creating and posting a plan

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(default)]
pub struct NewItem {
    pub number: String,
    pub start: String,
    pub end: String,
    pub periodicity: String,
    pub title: String,
    pub content: String,
    /// The number of the item this one is an internal item of.
    pub parent: String,
    /// Agency code of the responsible executor.
    pub responsible: String,
    pub responsible_department: Option<u64>,
    /// Agency codes.
    pub co_executors: Vec<String>,
    pub text: String,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(default)]
pub struct NewPlan {
    /// `agency` or `government`.
    pub kind: String,
    pub title: String,
    pub approved_on: String,
    /// A portal document holding the approval act and its files.
    pub approval_document: Option<u64>,
    pub items: Vec<NewItem>,
}

fn date(field: &str, s: &str) -> Result<Date> {
    s.trim().parse().map_err(|_| Error::invalid(field, "plan-date-invalid"))
}

fn text(field: &str, s: &str, max: usize, required: bool) -> Result<String> {
    let t = s.trim();
    if required && t.is_empty() {
        return Err(Error::invalid(field, "field-required"));
    }
    if t.chars().count() > max {
        return Err(Error::invalid(field, "plan-text-too-long"));
    }
    Ok(t.to_owned())
}

/// Checks the §32 fields of new items against each other and the directory.
fn build_items(
    agencies: &HashMap<String, Agency>,
    plan: u64,
    first_id: u64,
    input: &[NewItem],
) -> Result<Vec<Item>> {
    let mut out: Vec<Item> = Vec::new();
    let mut numbers = BTreeSet::new();
    for (i, n) in input.iter().enumerate() {
        let f = |name: &str| format!("items[{i}].{name}");
        let number = text(&f("number"), &n.number, 20, true)?;
        if !numbers.insert(number.clone()) {
            return Err(invalid(f("number"), Refusal::DuplicateNumber));
        }
        let start = date(&f("start"), &n.start)?;
        let end = date(&f("end"), &n.end)?;
        if end < start {
            return Err(invalid(f("end"), Refusal::EndBeforeStart));
        }
        let periodicity = Periodicity::parse(n.periodicity.trim())
            .ok_or_else(|| Error::invalid(&f("periodicity"), "plan-periodicity-invalid"))?;
        if period_ends(start, end, periodicity).is_empty() {
            return Err(invalid(f("periodicity"), Refusal::NoDueDate));
        }
        let code = |c: &str, field: String| -> Result<u64> {
            agencies
                .get(&c.trim().to_ascii_uppercase())
                .map(|a| a.id)
                .ok_or_else(|| Error::invalid(&field, "unknown-agency").with_detail(c.to_owned()))
        };
        let responsible = code(&n.responsible, f("responsible"))?;
        let mut co = Vec::new();
        for c in &n.co_executors {
            let id = code(c, f("co_executors"))?;
            if id != responsible && !co.contains(&id) {
                co.push(id);
            }
        }
        let parent = if n.parent.trim().is_empty() {
            None
        } else {
            let p = out.iter().find(|o| o.number == n.parent.trim());
            Some(p.map(|p| p.id).ok_or_else(|| invalid(f("parent"), Refusal::UnknownParent))?)
        };
        out.push(Item {
            plan,
            id: first_id + i as u64,
            number,
            start,
            end,
            periodicity,
            title: text(&f("title"), &n.title, 1000, true)?,
            content: text(&f("content"), &n.content, 20_000, false)?,
            parent,
            responsible,
            responsible_department: n.responsible_department,
            co_executors: co,
            text: text(&f("text"), &n.text, 100_000, false)?,
            tasks: Vec::new(),
            reports: Vec::new(),
            consolidated: None,
        });
    }
    Ok(out)
}

fn agencies_by_code(app: &App) -> Result<HashMap<String, Agency>> {
    Ok(directory::agencies_by_id(app)?
        .into_values()
        .map(|a| (a.code.to_ascii_uppercase(), a))
        .collect())
}

/// Creates a plan, not yet posted, with its items (§29, §32).
pub fn create(app: &App, actor: &Actor, input: NewPlan) -> Result<u64> {
    let me = actor.user().ok_or_else(Error::forbidden)?.clone();
    let kind = match input.kind.trim() {
        "agency" => PlanKind::Agency,
        "government" => PlanKind::Government,
        _ => return Err(Error::invalid("kind", "plan-kind-invalid")),
    };
    let agencies = agencies_by_code(app)?;
    let owner = match kind {
        PlanKind::Agency => me.agency_id,
        PlanKind::Government => agencies
            .get(&app.config.plans.government_agency.to_ascii_uppercase())
            .map(|a| a.id)
            .ok_or_else(|| Error::invalid("kind", "plan-no-government-agency"))?,
    };
    let probe = Plan {
        id: 0,
        kind,
        title: String::new(),
        owner,
        approved_on: Date::default(),
        approval_document: None,
        created_by: me.id,
        created_at: String::new(),
        posted: None,
        executors: Vec::new(),
    };
    // A plan not yet made has no existence to hide: a refusal is a plain 403.
    actor.origin.set_operation(PlanAction::Manage.name());
    if !crate::auth::policy::decide(actor, Action::Plan(PlanAction::Manage), plan_object(&probe)) {
        return Err(Error::forbidden());
    }
    let title = text("title", &input.title, 1000, true)?;
    let approved_on = date("approved_on", &input.approved_on)?;
    if let Some(doc) = input.approval_document {
        // The approval act must be a document the author can read.
        crate::portal::documents::service::get(app, actor, doc, "ru")
            .map_err(|_| Error::invalid("approval_document", "plan-document-unknown"))?;
        actor.origin.set_operation("plan.manage");
    }
    if input.items.len() > 20_000 {
        return Err(Error::invalid("items", "plan-too-many-items"));
    }
    let id = app.audit.change(actor, "plan.create", |txn| {
        let id = crate::db::next_id(txn, "plan")?;
        let first = crate::db::next_id(txn, "plan_item")?;
        let items = build_items(&agencies, id, first, &input.items)?;
        // Reserve the ids used.
        for _ in 1..items.len() {
            crate::db::next_id(txn, "plan_item")?;
        }
        let mut executors: Vec<u64> = items
            .iter()
            .flat_map(|i| std::iter::once(i.responsible).chain(i.co_executors.iter().copied()))
            .collect();
        executors.sort_unstable();
        executors.dedup();
        let plan = Plan {
            id,
            title: title.clone(),
            approved_on,
            approval_document: input.approval_document,
            created_at: now(),
            executors,
            ..probe.clone()
        };
        store::put_plan(txn, &plan)?;
        for it in &items {
            store::put_item(txn, it)?;
        }
        Ok((id, Some(json!({"plan": id, "kind": kind.name(), "items": items.len()}))))
    })?;
    Ok(id)
}

/// Adds items to a plan not yet posted.
pub fn add_items(app: &App, actor: &Actor, id: u64, input: &[NewItem]) -> Result<usize> {
    let plan = readable(app, actor, id)?;
    require(actor, Action::Plan(PlanAction::Manage), plan_object(&plan))?;
    if plan.posted.is_some() {
        return Err(refused(Refusal::AlreadyPosted));
    }
    let agencies = agencies_by_code(app)?;
    app.audit.change(actor, "plan.add_items", |txn| {
        let existing = {
            let t = txn.open_table(store::ITEMS)?;
            use redb::ReadableTable;
            let mut v: Vec<Item> = Vec::new();
            for row in t.range((id, 0)..=(id, u64::MAX))? {
                v.push(serde_json::from_slice(row?.1.value())?);
            }
            v
        };
        let first = crate::db::next_id(txn, "plan_item")?;
        let items = build_items(&agencies, id, first, input)?;
        for _ in 1..items.len() {
            crate::db::next_id(txn, "plan_item")?;
        }
        if let Some(dup) = items.iter().position(|i| existing.iter().any(|e| e.number == i.number))
        {
            return Err(invalid(format!("items[{dup}].number"), Refusal::DuplicateNumber));
        }
        let mut plan = store::plan_in(txn, id)?.ok_or_else(Error::not_found)?;
        for it in &items {
            store::put_item(txn, it)?;
            plan.executors.push(it.responsible);
            plan.executors.extend(&it.co_executors);
        }
        plan.executors.sort_unstable();
        plan.executors.dedup();
        store::put_plan(txn, &plan)?;
        Ok((items.len(), Some(json!({"plan": id, "items": items.len()}))))
    })
}

/// §30–§31: posts the plan; lateness counted in working days from approval; the
/// responsible executors and co-executors are told (their one working day for tasks
/// starts now, §33).
pub fn post(app: &App, actor: &Actor, id: u64) -> Result<Posting> {
    let plan = readable(app, actor, id)?;
    require(actor, Action::Plan(PlanAction::Manage), plan_object(&plan))?;
    let cal = app.calendar.get();
    let me = actor.user_id().unwrap_or(0);
    let (posting, after) = app.audit.change(actor, "plan.post", |txn| {
        let mut plan = store::plan_in(txn, id)?.ok_or_else(Error::not_found)?;
        if plan.posted.is_some() {
            return Err(refused(Refusal::AlreadyPosted));
        }
        let items = {
            use redb::ReadableTable;
            let t = txn.open_table(store::ITEMS)?;
            let mut v: Vec<Item> = Vec::new();
            for row in t.range((id, 0)..=(id, u64::MAX))? {
                v.push(serde_json::from_slice(row?.1.value())?);
            }
            v
        };
        if items.is_empty() {
            return Err(refused(Refusal::NoItems));
        }
        let day = today();
        let due = cal.add_working_days(plan.approved_on, plan.kind.posting_days());
        let late = if day > due { cal.working_days_between(due, day) } else { 0 };
        let posting = Posting { at: now(), by: me, date: day, due, late_working_days: late };
        plan.posted = Some(posting.clone());
        store::put_plan(txn, &plan)?;
        let responsible: Vec<u64> = {
            let mut v: Vec<u64> = items.iter().map(|i| i.responsible).collect();
            v.sort_unstable();
            v.dedup();
            v
        };
        let task_due = cal.add_working_days(day, 1);
        let mut after = tell(
            app,
            txn,
            &officers(app, &responsible, false)?,
            &notice("plan-posted", &plan, None)
                .arg("due", task_due.strftime("%d.%m.%Y").to_string()),
        )?;
        let co: Vec<u64> =
            plan.executors.iter().copied().filter(|a| !responsible.contains(a)).collect();
        if !co.is_empty() {
            let a = tell(
                app,
                txn,
                &officers(app, &co, false)?,
                &notice("plan-posted-co", &plan, None),
            )?;
            after.users.extend(a.users);
            after.mail |= a.mail;
        }
        let detail = json!({"plan": id, "due": due.to_string(), "late_working_days": late});
        Ok(((posting, after), Some(detail)))
    })?;
    notify::after_commit(app, after);
    Ok(posting)
}

// ---------------------------------------------------------------------------------------
// Tasks, reports, reviews

/// A step's change to an item inside its transaction, with the notices it enqueued.
type ItemChange<'a, T> =
    &'a dyn Fn(&Plan, &mut Item, &WriteTransaction) -> Result<(T, AfterCommit)>;

/// One step on an item: policy for `action`, then `change` on the item in a transaction.
fn on_item<T>(
    app: &App,
    actor: &Actor,
    (plan_id, item_id): (u64, u64),
    action: PlanAction,
    operation: &'static str,
    change: ItemChange<'_, T>,
) -> Result<T> {
    let plan = readable(app, actor, plan_id)?;
    let item = load_item(app, plan_id, item_id)?;
    let executors = item.task_executors();
    require(actor, Action::Plan(action), item_object(&plan, &item, &executors))?;
    if plan.posted.is_none() {
        return Err(refused(Refusal::NotPosted));
    }
    let (out, after) = app.audit.change(actor, operation, |txn| {
        let mut item = store::item_in(txn, plan_id, item_id)?.ok_or_else(Error::not_found)?;
        let (out, after) = change(&plan, &mut item, txn)?;
        store::put_item(txn, &item)?;
        Ok(((out, after), Some(json!({"plan": plan_id, "item": item_id}))))
    })?;
    notify::after_commit(app, after);
    Ok(out)
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(default)]
pub struct NewTask {
    pub title: String,
    pub text: String,
    pub start: String,
    pub end: String,
    /// Logins of the executors.
    pub executors: Vec<String>,
}

/// §33: the responsible executor assigns a task; late when after the one working day.
pub fn assign_task(app: &App, actor: &Actor, at: (u64, u64), input: NewTask) -> Result<u64> {
    let title = text("title", &input.title, 1000, true)?;
    let body = text("text", &input.text, 20_000, false)?;
    let start = date("start", &input.start)?;
    let end = date("end", &input.end)?;
    if end < start {
        return Err(invalid("end".into(), Refusal::EndBeforeStart));
    }
    if input.executors.is_empty() {
        return Err(Error::invalid("executors", "field-required"));
    }
    let (_, ids) = directory::resolve_access_names(app, &[], &input.executors)
        .map_err(|e| e.with_field("executors"))?;
    let users = directory::users_by_id(app, &ids)?;
    let cal = app.calendar.get();
    let me = actor.user_id().unwrap_or(0);
    on_item(app, actor, at, PlanAction::Assign, "plan.assign_task", &|plan, item, txn| {
        if start < item.start || end > item.end {
            return Err(invalid("end".into(), Refusal::TaskOutsideItem));
        }
        let allowed: Vec<u64> =
            std::iter::once(item.responsible).chain(item.co_executors.iter().copied()).collect();
        if let Some(u) = users.iter().find(|u| !allowed.contains(&u.agency_id)) {
            return Err(
                invalid("executors".into(), Refusal::NotAnExecutor).with_detail(u.login.clone())
            );
        }
        let posted = plan.posted.as_ref().map(|p| p.date).unwrap_or_else(today);
        let due = cal.add_working_days(posted, 1);
        let day = today();
        let late = if day > due { cal.working_days_between(due, day) } else { 0 };
        let id = crate::db::next_id(txn, "plan_task")?;
        item.tasks.push(Task {
            id,
            title: title.clone(),
            text: body.clone(),
            start,
            end,
            executors: ids.clone(),
            assigned_by: me,
            assigned_at: now(),
            late_working_days: late,
        });
        let after = tell(
            app,
            txn,
            &directory::recipients_by_id(app, &ids)?,
            &notice("plan-task", plan, Some(item)).arg("task", title.clone()),
        )?;
        Ok((id, after))
    })
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(default)]
pub struct NewReport {
    /// The last day of the period reported on (default: the period now due).
    pub period: String,
    pub text: String,
    pub document: Option<u64>,
}

/// §34: an executor posts a report for a period and sends it to the responsible executor.
pub fn submit_report(app: &App, actor: &Actor, at: (u64, u64), input: NewReport) -> Result<u64> {
    let body = text("text", &input.text, 100_000, true)?;
    let me = actor.user_id().unwrap_or(0);
    let cfg = &app.config.plans;
    let cal = app.calendar.get();
    on_item(app, actor, at, PlanAction::Report, "plan.report", &|plan, item, txn| {
        let periods = period_ends(item.start, item.end, item.periodicity);
        let period = if input.period.trim().is_empty() {
            standing(item, &cal, today(), cfg.report_working_day as i32, 0)
                .period
                .ok_or_else(|| refused(Refusal::AlreadyAccepted))?
        } else {
            date("period", &input.period)?
        };
        if !periods.contains(&period) {
            return Err(invalid("period".into(), Refusal::NotAPeriod));
        }
        if item.accepted(period) {
            return Err(refused(Refusal::AlreadyAccepted));
        }
        let id = crate::db::next_id(txn, "plan_report")?;
        item.reports.push(Report {
            id,
            period,
            author: me,
            text: body.clone(),
            document: input.document,
            submitted_at: now(),
            state: ReportState::Submitted,
            comment: String::new(),
            reviewed_by: None,
            reviewed_at: None,
        });
        let after = tell(
            app,
            txn,
            &officers(app, &[item.responsible], false)?,
            &notice("plan-report", plan, Some(item))
                .arg("period", period.strftime("%d.%m.%Y").to_string()),
        )?;
        Ok((id, after))
    })
}

/// §35: the responsible executor accepts a report or returns it with a comment.
pub fn review(
    app: &App,
    actor: &Actor,
    at: (u64, u64),
    report: u64,
    accept: bool,
    comment: &str,
) -> Result<()> {
    let comment = text("comment", comment, 5000, false)?;
    if !accept && comment.is_empty() {
        return Err(invalid("comment".into(), Refusal::CommentRequired));
    }
    let me = actor.user_id().unwrap_or(0);
    let op = if accept { "plan.accept" } else { "plan.return" };
    on_item(app, actor, at, PlanAction::Review, op, &|plan, item, txn| {
        let r = item.reports.iter_mut().find(|r| r.id == report).ok_or_else(Error::not_found)?;
        if r.state != ReportState::Submitted {
            return Err(refused(Refusal::NotSubmitted));
        }
        r.state = if accept { ReportState::Accepted } else { ReportState::Returned };
        r.comment = comment.clone();
        r.reviewed_by = Some(me);
        r.reviewed_at = Some(now());
        let author = r.author;
        let key = if accept { "plan-accepted" } else { "plan-returned" };
        let after = tell(
            app,
            txn,
            &directory::recipients_by_id(app, &[author])?,
            &notice(key, plan, Some(item)).arg("comment", comment.clone()),
        )?;
        Ok(((), after))
    })
}

// ---------------------------------------------------------------------------------------
// The consolidated report and its signature

/// §35: the responsible executor posts the consolidated report on the item and sends it to
/// the head to sign. Until signed, only the chain reads it (the author, the responsible
/// agency's plan officers and heads).
pub fn post_consolidated(app: &App, actor: &Actor, at: (u64, u64), body: &str) -> Result<u64> {
    let body = text("text", body, 100_000, true)?;
    let me = actor.user().ok_or_else(Error::forbidden)?.clone();
    let written: RefCell<Option<u64>> = RefCell::new(None);
    on_item(app, actor, at, PlanAction::Review, "plan.consolidate", &|plan, item, txn| {
        if item.consolidated.as_ref().is_some_and(|c| c.signed.is_some()) {
            return Err(refused(Refusal::AlreadySigned));
        }
        if !item.reports.iter().any(|r| r.state == ReportState::Accepted) {
            return Err(refused(Refusal::NothingAccepted));
        }
        let heads = officers(app, &[item.responsible], true)?;
        let mut chain: Vec<u64> = heads.iter().map(|h| h.user_id).collect();
        chain.push(me.id);
        let content = VersionContent {
            title: format!("{} — {} {}", plan.title, item.number, item.title),
            title_kk: String::new(),
            title_ru: String::new(),
            text: body.clone(),
            fields: Default::default(),
            files: Vec::new(),
            note: String::new(),
        };
        let access = AccessRule { users: chain, ..Default::default() };
        let doc = crate::portal::documents::service::write_text_document_in(
            txn,
            app,
            me.id,
            me.agency_id,
            "plan_report",
            content,
            access,
        )?;
        item.consolidated =
            Some(Consolidated { document: doc, author: me.id, posted_at: now(), signed: None });
        *written.borrow_mut() = Some(doc);
        let after = tell(app, txn, &heads, &notice("plan-sign", plan, Some(item)))?;
        Ok((doc, after))
    })
    .inspect(|doc| app.search.changed(*doc))
}

/// §35–§37: the head signs the consolidated report (CMS over its document's manifest, as
/// any document is signed); in the same transaction the report opens to the owner agency.
pub fn sign_consolidated(
    app: &App,
    actor: &Actor,
    (plan_id, item_id): (u64, u64),
    cms: &[u8],
) -> Result<()> {
    let plan = readable(app, actor, plan_id)?;
    let item = load_item(app, plan_id, item_id)?;
    let executors = item.task_executors();
    require(actor, Action::Plan(PlanAction::Sign), item_object(&plan, &item, &executors))?;
    let c = item.consolidated.clone().ok_or_else(|| refused(Refusal::NoConsolidated))?;
    if c.signed.is_some() {
        return Err(refused(Refusal::AlreadySigned));
    }
    let after: RefCell<Option<AfterCommit>> = RefCell::new(None);
    let run = |txn: &WriteTransaction, record: &SignatureRecord| -> Result<serde_json::Value> {
        let mut it = store::item_in(txn, plan_id, item_id)?.ok_or_else(Error::not_found)?;
        let cons = it.consolidated.as_mut().ok_or_else(|| refused(Refusal::NoConsolidated))?;
        if cons.signed.is_some() {
            return Err(refused(Refusal::AlreadySigned));
        }
        cons.signed = Some(Signed {
            user_id: record.user_id,
            at: record.submitted.clone(),
            signature_id: record.id,
        });
        store::put_item(txn, &it)?;
        // §36–§37: the owner agency's employees read it from now on.
        let w = crate::portal::documents::store::Writer(txn);
        let mut doc = w.document(c.document)?.ok_or_else(Error::not_found)?;
        if !doc.access.agencies.contains(&plan.owner) {
            doc.access.agencies.push(plan.owner);
        }
        w.put_document(&doc)?;
        let mut to = officers(app, &[plan.owner], false)?;
        to.extend(directory::recipients_by_id(app, &[c.author])?);
        *after.borrow_mut() = Some(tell(app, txn, &to, &notice("plan-signed", &plan, Some(&it)))?);
        Ok(json!({"plan": plan_id, "item": item_id, "document": c.document}))
    };
    signatures::submit_with(
        app,
        actor,
        c.document,
        1,
        cms,
        "plan.consolidated",
        Some(&signatures::Also { operation: "plan.sign", run: &run }),
    )?;
    if let Some(a) = after.into_inner() {
        notify::after_commit(app, a);
    }
    app.search.changed(c.document);
    Ok(())
}
