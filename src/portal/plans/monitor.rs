//! Monitoring action plans: what people read — plans, items with their standing today,
//! the dashboard per agency, the plan's execution as the Government's XLSX layout — and the
//! reminders before and after each due date. Standings are computed on the current
//! calendar whenever they are read.

use std::collections::{BTreeMap, HashMap};

use jiff::civil::Date;
use serde::Serialize;
use serde_json::json;

use super::model::*;
use super::service::{
    item_object, load_item, notice, officers, plan_object, readable, report_object,
};
use super::store;
use crate::actor::Actor;
use crate::app::App;
use crate::auth::policy::{Action, PlanAction, decide};
use crate::error::{Error, Result};
use crate::notify;
use crate::portal::directory::model::Agency;
use crate::portal::directory::service as directory;
use crate::report::{Cell, Column, Kind, Table};

#[derive(Debug, Clone, Serialize)]
pub struct AgencyRef {
    pub id: u64,
    pub code: String,
    pub name: String,
}

fn agency_ref(agencies: &HashMap<u64, Agency>, id: u64, lang: &str) -> AgencyRef {
    let a = agencies.get(&id);
    AgencyRef {
        id,
        code: a.map(|a| a.code.clone()).unwrap_or_default(),
        name: a.map(|a| a.names().get(lang).to_owned()).unwrap_or_default(),
    }
}

/// An item in the plan's list: the §32 fields and its standing today.
#[derive(Debug, Clone, Serialize)]
pub struct ItemRow {
    pub id: u64,
    pub number: String,
    pub title: String,
    pub start: Date,
    pub end: Date,
    pub periodicity: &'static str,
    pub parent: Option<u64>,
    pub responsible: AgencyRef,
    pub co_executors: Vec<AgencyRef>,
    pub status: &'static str,
    /// The next report's period and due date (none when done).
    pub period: Option<Date>,
    pub due: Option<Date>,
    pub overdue_working_days: i64,
    pub tasks: usize,
    pub reports_returned: usize,
    pub consolidated_signed: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct PlanView {
    pub id: u64,
    pub kind: &'static str,
    pub title: String,
    pub owner: AgencyRef,
    pub approved_on: Date,
    pub approval_document: Option<u64>,
    pub posted: Option<Posting>,
    /// While not posted: the last day to post it (§30–§31).
    pub posting_due: Date,
    pub items: Vec<ItemRow>,
    /// Items by status name.
    pub counts: BTreeMap<&'static str, usize>,
    pub actions: Vec<&'static str>,
}

pub(super) struct Ctx {
    pub cal: std::sync::Arc<crate::calendar::Calendar>,
    pub today: Date,
    pub after: i32,
    pub soon: i64,
}

pub(super) fn ctx(app: &App) -> Ctx {
    Ctx {
        cal: app.calendar.get(),
        today: crate::calendar::today(),
        after: app.config.plans.report_working_day as i32,
        soon: app.config.plans.due_soon_working_days as i64,
    }
}

fn row(c: &Ctx, agencies: &HashMap<u64, Agency>, it: &Item, lang: &str) -> ItemRow {
    let s = standing(it, &c.cal, c.today, c.after, c.soon);
    ItemRow {
        id: it.id,
        number: it.number.clone(),
        title: it.title.clone(),
        start: it.start,
        end: it.end,
        periodicity: it.periodicity.name(),
        parent: it.parent,
        responsible: agency_ref(agencies, it.responsible, lang),
        co_executors: it.co_executors.iter().map(|a| agency_ref(agencies, *a, lang)).collect(),
        status: s.status.name(),
        period: s.period,
        due: s.due,
        overdue_working_days: s.overdue_working_days,
        tasks: it.tasks.len(),
        reports_returned: it.reports.iter().filter(|r| r.state == ReportState::Returned).count(),
        consolidated_signed: it.consolidated.as_ref().is_some_and(|c| c.signed.is_some()),
    }
}

pub fn plan(app: &App, actor: &Actor, id: u64, lang: &str) -> Result<PlanView> {
    let p = readable(app, actor, id)?;
    let items = {
        let txn = app.db.read()?;
        store::items(&txn, id)?
    };
    let agencies = directory::agencies_by_id(app)?;
    let c = ctx(app);
    let rows: Vec<ItemRow> = items.iter().map(|it| row(&c, &agencies, it, lang)).collect();
    let mut counts = BTreeMap::new();
    for s in Status::ALL {
        counts.insert(s.name(), rows.iter().filter(|r| r.status == s.name()).count());
    }
    let mut actions = Vec::new();
    if p.posted.is_none() && decide(actor, Action::Plan(PlanAction::Manage), plan_object(&p)) {
        actions.extend(["add_items", "post"]);
    }
    Ok(PlanView {
        id: p.id,
        kind: p.kind.name(),
        title: p.title.clone(),
        owner: agency_ref(&agencies, p.owner, lang),
        approved_on: p.approved_on,
        approval_document: p.approval_document,
        posting_due: c.cal.add_working_days(p.approved_on, p.kind.posting_days()),
        posted: p.posted.clone(),
        items: rows,
        counts,
        actions,
    })
}

#[derive(Debug, Clone, Serialize)]
pub struct PlanSummary {
    pub id: u64,
    pub kind: &'static str,
    pub title: String,
    pub owner: AgencyRef,
    pub approved_on: Date,
    pub posted: Option<Date>,
    pub late_working_days: i64,
    pub items: usize,
    pub overdue: usize,
}

/// Plans the actor may read, newest first.
pub fn list(app: &App, actor: &Actor, lang: &str) -> Result<Vec<PlanSummary>> {
    actor.origin.set_operation("plan.list");
    let txn = app.db.read()?;
    let agencies = directory::agencies_by_id(app)?;
    let c = ctx(app);
    let mut out = Vec::new();
    for p in store::plans(&txn)? {
        if !decide(actor, Action::Plan(PlanAction::Read), plan_object(&p)) {
            continue;
        }
        let items = store::items(&txn, p.id)?;
        let overdue = items
            .iter()
            .filter(|it| standing(it, &c.cal, c.today, c.after, c.soon).status == Status::Overdue)
            .count();
        out.push(PlanSummary {
            id: p.id,
            kind: p.kind.name(),
            title: p.title.clone(),
            owner: agency_ref(&agencies, p.owner, lang),
            approved_on: p.approved_on,
            posted: p.posted.as_ref().map(|x| x.date),
            late_working_days: p.posted.as_ref().map(|x| x.late_working_days).unwrap_or(0),
            items: items.len(),
            overdue,
        });
    }
    Ok(out)
}

/// An item with its tasks, reports and consolidated report (when the reader may see it).
#[derive(Debug, Clone, Serialize)]
pub struct ItemView {
    pub plan: u64,
    pub plan_title: String,
    #[serde(flatten)]
    pub row: ItemRow,
    pub content: String,
    pub text: String,
    /// Every period's end and due date.
    pub periods: Vec<(Date, Date)>,
    pub tasks: Vec<serde_json::Value>,
    pub reports: Vec<serde_json::Value>,
    pub consolidated: Option<serde_json::Value>,
    /// The last working day to assign tasks (§33).
    pub tasks_due: Option<Date>,
    pub actions: Vec<&'static str>,
}

pub fn item(
    app: &App,
    actor: &Actor,
    (plan_id, item_id): (u64, u64),
    lang: &str,
) -> Result<ItemView> {
    let p = readable(app, actor, plan_id)?;
    let it = load_item(app, plan_id, item_id)?;
    let agencies = directory::agencies_by_id(app)?;
    let c = ctx(app);
    let mut people: Vec<u64> = it.tasks.iter().flat_map(|t| t.executors.iter().copied()).collect();
    people.extend(it.reports.iter().map(|r| r.author));
    people.extend(it.consolidated.iter().map(|c| c.author));
    people.extend(it.consolidated.iter().filter_map(|c| c.signed.as_ref().map(|s| s.user_id)));
    let names: HashMap<u64, String> = directory::user_names(app, &people, lang)?
        .into_iter()
        .map(|(id, _, name)| (id, name))
        .collect();
    let name = |id: &u64| names.get(id).cloned().unwrap_or_default();
    let executors = it.task_executors();
    let o = item_object(&p, &it, &executors);
    let can = |a: PlanAction| decide(actor, Action::Plan(a), o);
    let consolidated = match (report_object(&p, &it), &it.consolidated) {
        (Some(ro), Some(cons)) if decide(actor, Action::Plan(PlanAction::ReadConsolidated), ro) => {
            let text = crate::portal::documents::service::current_content(app, cons.document)
                .map(|(_, content)| content.text)
                .unwrap_or_default();
            Some(json!({
                "document": cons.document,
                "author": name(&cons.author),
                "posted_at": cons.posted_at,
                "text": text,
                "signed": cons.signed.as_ref().map(|s| json!({"by": name(&s.user_id), "at": s.at})),
            }))
        }
        _ => None,
    };
    let posted = p.posted.is_some();
    let mut actions = Vec::new();
    if posted && can(PlanAction::Assign) {
        actions.push("assign");
    }
    if posted && can(PlanAction::Report) {
        actions.push("report");
    }
    if posted && can(PlanAction::Review) {
        if it.reports.iter().any(|r| r.state == ReportState::Submitted) {
            actions.push("review");
        }
        if it.reports.iter().any(|r| r.state == ReportState::Accepted)
            && it.consolidated.as_ref().is_none_or(|c| c.signed.is_none())
        {
            actions.push("consolidate");
        }
    }
    if posted
        && can(PlanAction::Sign)
        && it.consolidated.as_ref().is_some_and(|c| c.signed.is_none())
    {
        actions.push("sign");
    }
    Ok(ItemView {
        plan: p.id,
        plan_title: p.title.clone(),
        row: row(&c, &agencies, &it, lang),
        content: it.content.clone(),
        text: it.text.clone(),
        periods: period_ends(it.start, it.end, it.periodicity)
            .into_iter()
            .map(|e| (e, c.cal.add_working_days(e, c.after)))
            .collect(),
        tasks: it
            .tasks
            .iter()
            .map(|t| json!({"id": t.id, "title": t.title, "text": t.text, "start": t.start, "end": t.end,
                "executors": t.executors.iter().map(&name).collect::<Vec<_>>(), "assigned_at": t.assigned_at,
                "late_working_days": t.late_working_days}))
            .collect(),
        reports: it
            .reports
            .iter()
            .map(|r| json!({"id": r.id, "period": r.period, "author": name(&r.author), "text": r.text,
                "document": r.document, "submitted_at": r.submitted_at, "state": r.state.name(), "comment": r.comment}))
            .collect(),
        consolidated,
        tasks_due: p.posted.as_ref().map(|x| c.cal.add_working_days(x.date, 1)),
        actions,
    })
}

/// Items by responsible agency and status, across the plans the actor reads (or one).
#[derive(Debug, Clone, Serialize)]
pub struct AgencyLine {
    pub agency: AgencyRef,
    pub counts: BTreeMap<&'static str, usize>,
    pub overdue_working_days: i64,
    pub reports_returned: usize,
}

pub fn dashboard(
    app: &App,
    actor: &Actor,
    plan_id: Option<u64>,
    lang: &str,
) -> Result<Vec<AgencyLine>> {
    actor.origin.set_operation("plan.dashboard");
    let txn = app.db.read()?;
    let plans: Vec<Plan> = match plan_id {
        Some(id) => vec![readable(app, actor, id)?],
        None => store::plans(&txn)?
            .into_iter()
            .filter(|p| {
                p.posted.is_some() && decide(actor, Action::Plan(PlanAction::Read), plan_object(p))
            })
            .collect(),
    };
    actor.origin.set_operation("plan.dashboard");
    let agencies = directory::agencies_by_id(app)?;
    let c = ctx(app);
    let mut by: BTreeMap<u64, AgencyLine> = BTreeMap::new();
    for p in &plans {
        for it in store::items(&txn, p.id)? {
            let s = standing(&it, &c.cal, c.today, c.after, c.soon);
            let line = by.entry(it.responsible).or_insert_with(|| AgencyLine {
                agency: agency_ref(&agencies, it.responsible, lang),
                counts: Status::ALL.iter().map(|s| (s.name(), 0)).collect(),
                overdue_working_days: 0,
                reports_returned: 0,
            });
            *line.counts.entry(s.status.name()).or_default() += 1;
            line.overdue_working_days += s.overdue_working_days;
            line.reports_returned +=
                it.reports.iter().filter(|r| r.state == ReportState::Returned).count();
        }
    }
    Ok(by.into_values().collect())
}

/// The plan's execution in the layout agencies send to the Government: number, item,
/// executor, due, status, report text — streamed row by row into the XLSX file.
pub fn export_xlsx(app: &App, actor: &Actor, id: u64, lang: &str) -> Result<Vec<u8>> {
    let p = readable(app, actor, id)?;
    actor.origin.set_operation("plan.export");
    let t = |k: &str| app.i18n.text(lang, k);
    let columns = export_columns(&t);
    let mut sheet = crate::report::xlsx::Stream::new(&p.title, &columns)?;
    let agencies = directory::agencies_by_id(app)?;
    let c = ctx(app);
    let txn = app.db.read()?;
    let table = txn.open_table(store::ITEMS)?;
    for entry in table.range((id, 0)..=(id, u64::MAX))? {
        let it: Item = serde_json::from_slice(entry?.1.value())?;
        sheet.push(&export_row(&c, &agencies, &it, lang, &t))?;
    }
    sheet.finish()
}

pub(super) fn export_columns(t: &dyn Fn(&str) -> String) -> Vec<Column> {
    vec![
        Column::new("number", t("plan-col-number"), Kind::Text).total_label(t("plan-col-total")),
        Column::new("title", t("plan-col-item"), Kind::Text),
        Column::new("responsible", t("plan-col-responsible"), Kind::Text),
        Column::new("co_executors", t("plan-col-co-executors"), Kind::Text),
        Column::new("end", t("plan-col-end"), Kind::Date),
        Column::new("due", t("plan-col-due"), Kind::Date),
        Column::new("status", t("plan-col-status"), Kind::Text),
        Column::new("overdue", t("plan-col-overdue"), Kind::Integer).sum(),
        Column::new("report", t("plan-col-report"), Kind::Text),
    ]
}

pub(super) fn export_row(
    c: &Ctx,
    agencies: &HashMap<u64, Agency>,
    it: &Item,
    lang: &str,
    t: &dyn Fn(&str) -> String,
) -> Vec<Cell> {
    let s = standing(it, &c.cal, c.today, c.after, c.soon);
    let report = it
        .reports
        .iter()
        .rev()
        .find(|r| r.state == ReportState::Accepted)
        .or_else(|| it.reports.last())
        .map(|r| r.text.clone())
        .unwrap_or_default();
    let name =
        |id: &u64| agencies.get(id).map(|a| a.names().get(lang).to_owned()).unwrap_or_default();
    vec![
        Cell::text(it.number.clone()),
        Cell::text(it.title.clone()),
        Cell::text(name(&it.responsible)),
        Cell::text(it.co_executors.iter().map(name).collect::<Vec<_>>().join("; ")),
        Cell::Date(it.end),
        s.due.map(Cell::Date).unwrap_or(Cell::Empty),
        Cell::text(t(&format!("plan-status-{}", s.status.name().replace('_', "-")))),
        Cell::Int(s.overdue_working_days),
        Cell::text(report),
    ]
}

/// The plan as a report table for its page (sortable, printable).
pub fn plan_table(view: &PlanView, t: &dyn Fn(&str) -> String) -> Table {
    let mut table = Table::new(view.title.clone(), {
        let mut cols = vec![
            Column::new("number", t("plan-col-number"), Kind::Text),
            Column::new("title", t("plan-col-item"), Kind::Text),
            Column::new("responsible", t("plan-col-responsible"), Kind::Text),
            Column::new("due", t("plan-col-due"), Kind::Date),
            Column::new("status", t("plan-col-status"), Kind::Text),
            Column::new("overdue", t("plan-col-overdue"), Kind::Integer).sum(),
        ];
        cols[0].total = crate::report::Total::Label(t("plan-col-total"));
        cols
    });
    for r in &view.items {
        table.push(vec![
            Cell::Link {
                text: r.number.clone(),
                href: format!("/plans/{}/items/{}", view.id, r.id),
            },
            Cell::Link {
                text: r.title.clone(),
                href: format!("/plans/{}/items/{}", view.id, r.id),
            },
            Cell::text(r.responsible.name.clone()),
            r.due.map(Cell::Date).unwrap_or(Cell::Empty),
            Cell::text(t(&format!("plan-status-{}", r.status.replace('_', "-")))),
            Cell::Int(r.overdue_working_days),
        ]);
    }
    table
}

// ---------------------------------------------------------------------------------------
// Reminders

/// Before each due date (when it becomes "due soon") and after it (when overdue), once
/// per item and period, the executors and the responsible executor are told by inbox and
/// mail; a responsible executor who has assigned no task after the one working day of
/// §33 is reminded once.
pub fn remind(app: &App) -> Result<usize> {
    let c = ctx(app);
    let plans = {
        let txn = app.db.read()?;
        store::plans(&txn)?.into_iter().filter(|p| p.posted.is_some()).collect::<Vec<_>>()
    };
    let actor = Actor::system_job_bypassing_user_policy("plans-reminders");
    let mut sent = 0;
    for p in plans {
        let items = {
            let txn = app.db.read()?;
            store::items(&txn, p.id)?
        };
        let posted = p.posted.as_ref().map(|x| x.date).unwrap_or(c.today);
        for it in items {
            let s = standing(&it, &c.cal, c.today, c.after, c.soon);
            let mut due: Vec<(String, &'static str)> = Vec::new();
            if let Some(period) = s.period {
                match s.status {
                    Status::DueSoon => due.push((format!("before:{period}"), "plan-due-soon")),
                    Status::Overdue => due.push((format!("overdue:{period}"), "plan-overdue")),
                    _ => {}
                }
            }
            if it.tasks.is_empty() && c.today > c.cal.add_working_days(posted, 1) {
                due.push(("tasks".into(), "plan-tasks-late"));
            }
            for (what, key) in due {
                let already = {
                    let txn = app.db.read()?;
                    store::reminded(&txn, p.id, it.id, &what)?
                };
                if already {
                    continue;
                }
                let mut to = officers(app, &[it.responsible], false)?;
                if key != "plan-tasks-late" {
                    to.extend(directory::recipients_by_id(app, &it.task_executors())?);
                }
                let n = notice(key, &p, Some(&it))
                    .arg(
                        "due",
                        s.due.map(|d| d.strftime("%d.%m.%Y").to_string()).unwrap_or_default(),
                    )
                    .arg("days", s.overdue_working_days.to_string());
                let after = app.audit.change(&actor, "plan.remind", |txn| {
                    if !store::mark_reminded(txn, p.id, it.id, &what)? {
                        return Ok((None, None));
                    }
                    let a = notify::enqueue_in(app, txn, &to, &n)?;
                    Ok((Some(a), Some(json!({"plan": p.id, "item": it.id, "reminder": what}))))
                })?;
                if let Some(a) = after {
                    notify::after_commit(app, a);
                    sent += 1;
                }
            }
        }
    }
    Ok(sent)
}

/// Whether a plan exists and the actor reads it (for pages that need only that).
pub fn exists(app: &App, actor: &Actor, id: u64) -> Result<()> {
    readable(app, actor, id)
        .map(|_| ())
        .map_err(|e| if e.code == crate::error::Code::Forbidden { Error::not_found() } else { e })
}
