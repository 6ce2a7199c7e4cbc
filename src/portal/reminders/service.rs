//! What people read (I385 §49–§50): the controller's list of the instructions addressed
//! to their agency (an executor's, of those naming them) with every field of §49 and the
//! days left — calendar days and working days on the shared calendar — sorted by deadline;
//! one instruction with its history; the administrator's import log; the list as a table
//! of the reporting layer for XLSX and CSV.

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use super::model::{self, DaysLeft, Source, Status, Urgency};
use super::refresh;
use super::store::{self, HistoryEntry, ImportLog, Instruction, RefreshState};
use crate::actor::{Actor, Who};
use crate::app::App;
use crate::auth::policy::{Action, Object, ReminderAction, decide, require};
use crate::error::{Error, Result};
use crate::portal::directory::service as directory;
use crate::report::{Cell, Column, Kind, Table};

/// The list's filters (all optional): `GET /api/v1/reminders?source=&overdue=…`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Filter {
    /// Agency code; the reader's own agency when empty.
    pub agency: String,
    pub source: String,
    /// `true`: overdue only; `false`: not overdue.
    pub overdue: Option<bool>,
    /// Due within the "due soon" days (overdue excluded).
    pub due_soon: bool,
    pub document_type: String,
    pub department: String,
    /// Part of the executor's name or e-mail.
    pub executor: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct View {
    pub id: u64,
    pub source: Source,
    pub record_id: String,
    pub outgoing_number: String,
    pub outgoing_date: Date,
    pub summary: String,
    pub executor_agency: String,
    pub executor_person: String,
    pub document_type: String,
    pub department: String,
    pub deadline: Date,
    pub original_deadline: Option<Date>,
    pub status: Status,
    pub days_left: i64,
    pub working_days_left: i64,
    pub urgency: Urgency,
}

fn object(i: &Instruction, reader: Option<(u64, &str)>) -> Object<'static> {
    let executor = reader.and_then(|(id, email)| {
        (!email.is_empty() && i.record.executor_email == email).then_some(id)
    });
    Object::Reminder { agency: i.agency, executor }
}

fn view(app: &App, i: Instruction, today: Date, calendar: &crate::calendar::Calendar) -> View {
    let left: DaysLeft = model::days_left(calendar, today, i.record.deadline);
    let r = i.record;
    View {
        id: i.id,
        source: i.source,
        record_id: r.record_id,
        outgoing_number: r.outgoing_number,
        outgoing_date: r.outgoing_date,
        summary: r.summary,
        executor_agency: r.executor_agency,
        executor_person: r.executor_person,
        document_type: r.document_type,
        department: r.department,
        deadline: r.deadline,
        original_deadline: r.original_deadline,
        status: r.status,
        days_left: left.days_left,
        working_days_left: left.working_days_left,
        urgency: model::urgency(left, app.config.reminders.due_soon_days),
    }
}

/// The reader's account id and e-mail (an executor is matched by the e-mail the source gives).
fn reader(app: &App, actor: &Actor) -> Result<Option<(u64, u64, String)>> {
    let Who::User(u) = &actor.who else { return Ok(None) };
    let email = directory::users_by_id(app, &[u.id])?
        .into_iter()
        .next()
        .map(|x| x.email.trim().to_lowercase())
        .unwrap_or_default();
    Ok(Some((u.id, u.agency_id, email)))
}

fn matches(f: &Filter, v: &View) -> bool {
    let contains = |hay: &str, needle: &str| {
        needle.trim().is_empty() || hay.to_lowercase().contains(&needle.trim().to_lowercase())
    };
    (f.source.is_empty() || v.source.name() == f.source)
        && f.overdue.is_none_or(|o| o == (v.urgency == Urgency::Overdue))
        && (!f.due_soon || v.urgency == Urgency::DueSoon)
        && contains(&v.document_type, &f.document_type)
        && contains(&v.department, &f.department)
        && contains(&v.executor_person, &f.executor)
}

/// The instructions the reader may see, filtered, sorted by deadline (§50).
pub fn list(app: &App, actor: &Actor, filter: &Filter) -> Result<Vec<View>> {
    actor.origin.set_operation(ReminderAction::Read.name());
    if !filter.source.is_empty() && Source::parse(&filter.source).is_none() {
        return Err(
            Error::invalid("source", "reminders-error-source").with_detail(filter.source.clone())
        );
    }
    let Some((user_id, own_agency, email)) = reader(app, actor)? else { return Ok(Vec::new()) };
    let agency = if filter.agency.trim().is_empty() {
        own_agency
    } else {
        match directory::agencies_by_id(app)?
            .into_values()
            .find(|a| a.code.eq_ignore_ascii_case(filter.agency.trim()))
        {
            Some(a) => a.id,
            None => return Ok(Vec::new()),
        }
    };
    let instructions = {
        let txn = app.db.read()?;
        store::of_agency(&txn, agency)?
    };
    let calendar = app.calendar.get();
    let today = crate::calendar::today();
    let mut out: Vec<View> = instructions
        .into_iter()
        .filter(|i| {
            decide(
                actor,
                Action::Reminder(ReminderAction::Read),
                object(i, Some((user_id, &email))),
            )
        })
        .map(|i| view(app, i, today, &calendar))
        .filter(|v| matches(filter, v))
        .collect();
    out.sort_by(|a, b| {
        (a.deadline, &a.outgoing_number, a.id).cmp(&(b.deadline, &b.outgoing_number, b.id))
    });
    Ok(out)
}

#[derive(Debug, Clone, Serialize)]
pub struct Detail {
    #[serde(flatten)]
    pub view: View,
    pub executor_email: String,
    pub visible: bool,
    pub history: Vec<HistoryEntry>,
}

/// One instruction with its history (appeared, changed, dropped out).
pub fn instruction(app: &App, actor: &Actor, id: u64) -> Result<Detail> {
    let inst = {
        let txn = app.db.read()?;
        store::instruction(&txn, id)?.ok_or_else(Error::not_found)?
    };
    let r = reader(app, actor)?;
    let me = r.as_ref().map(|(id, _, email)| (*id, email.as_str()));
    require(actor, Action::Reminder(ReminderAction::Read), object(&inst, me))?;
    let (email, visible, history) =
        (inst.record.executor_email.clone(), inst.visible, inst.history.clone());
    let view = view(app, inst, crate::calendar::today(), &app.calendar.get());
    Ok(Detail { view, executor_email: email, visible, history })
}

#[derive(Debug, Clone, Serialize)]
pub struct SourceState {
    pub source: Source,
    pub times: Vec<String>,
    pub last: Option<RefreshState>,
    pub age_seconds: Option<i64>,
    pub next: Option<String>,
    pub pending: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Unmapped {
    pub name: String,
    pub instructions: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Administration {
    pub sources: Vec<SourceState>,
    pub imports: Vec<ImportLog>,
    pub unmapped: Vec<Unmapped>,
}

/// The administrator's view: each source's schedule and last refresh, the latest imports
/// with their refused records, executor agencies to map.
pub fn administration(app: &App, actor: &Actor) -> Result<Administration> {
    require(actor, Action::Reminder(ReminderAction::Administer), Object::Appliance)?;
    let now = crate::clock::now();
    let txn = app.db.read()?;
    let mut sources = Vec::new();
    for source in Source::ALL {
        let times = app.config.reminders.times(*source).to_vec();
        let last = store::refresh_state(&txn, *source)?;
        let age_seconds = last
            .as_ref()
            .and_then(|l| crate::clock::parse(&l.at))
            .map(|t| now.duration_since(t).as_secs());
        let next = refresh::next_slot(&times, now).map(crate::clock::utc_string);
        let pending = store::pending_count(&txn, *source)?;
        sources.push(SourceState { source: *source, times, last, age_seconds, next, pending });
    }
    let mut counts: std::collections::BTreeMap<String, u64> = Default::default();
    for i in store::of_agency(&txn, 0)? {
        *counts.entry(i.record.executor_agency).or_default() += 1;
    }
    let unmapped =
        counts.into_iter().map(|(name, instructions)| Unmapped { name, instructions }).collect();
    Ok(Administration { sources, imports: store::imports(&txn, 100)?, unmapped })
}

/// The list as a table of the reporting layer (labels in the reader's language).
pub fn table(views: &[View], t: &dyn Fn(&str) -> String) -> Table {
    let columns = vec![
        Column::new("outgoing_number", t("reminders-col-number"), Kind::Text),
        Column::new("outgoing_date", t("reminders-col-outgoing-date"), Kind::Date),
        Column::new("summary", t("reminders-col-summary"), Kind::Text),
        Column::new("executor", t("reminders-col-executor"), Kind::Text),
        Column::new("document_type", t("reminders-col-type"), Kind::Text),
        Column::new("department", t("reminders-col-department"), Kind::Text),
        Column::new("deadline", t("reminders-col-deadline"), Kind::Date),
        Column::new("days_left", t("reminders-col-days-left"), Kind::Integer),
        Column::new("working_days_left", t("reminders-col-working-days-left"), Kind::Integer),
        Column::new("status", t("reminders-col-status"), Kind::Text),
        Column::new("source", t("reminders-col-source"), Kind::Text),
    ];
    let mut table = Table::new(t("reminders-title"), columns);
    for v in views {
        let executor = if v.executor_person.is_empty() {
            v.executor_agency.clone()
        } else {
            format!("{}, {}", v.executor_agency, v.executor_person)
        };
        table.push(vec![
            Cell::Link { text: v.outgoing_number.clone(), href: format!("/reminders/{}", v.id) },
            Cell::Date(v.outgoing_date),
            Cell::text(v.summary.clone()),
            Cell::text(executor),
            Cell::text(v.document_type.clone()),
            Cell::text(v.department.clone()),
            Cell::Date(v.deadline),
            Cell::Int(v.days_left),
            Cell::Int(v.working_days_left),
            Cell::text(t(v.status.message_key())),
            Cell::text(t(v.source.message_key())),
        ]);
    }
    table
}
