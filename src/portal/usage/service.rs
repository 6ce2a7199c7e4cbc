//! Usage per agency (I617 §22): keeping the daily aggregate up to date from the access log,
//! and the figures of a period for an agency's officer or the whole portal.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use super::model::{DayUsage, Seen, week_start};
use super::store;
use crate::actor::Actor;
use crate::app::App;
use crate::audit::chain::Entry;
use crate::auth::policy::{Action, Object, UsageAction, decide, require};
use crate::error::{Error, Result};

/// Entries counted per write transaction: bounds the memory and the time the aggregate's
/// write holds redb's single writer.
const BATCH: usize = 20_000;
/// The longest period one view covers.
pub const MAX_DAYS: i64 = 366;

/// One refresh at a time (the scheduler and views may ask together): two would count the
/// same entries twice.
static REFRESH: Mutex<()> = Mutex::new(());

fn seen(e: &Entry) -> Seen<'_> {
    Seen {
        actor_id: e.actor_id,
        agency: e.agency.as_deref(),
        method: &e.method,
        operation: &e.operation,
        outcome: &e.outcome,
    }
}

fn count_into(days: &mut BTreeMap<String, DayUsage>, e: &Entry) {
    let (Some(agency), Ok(at)) = (e.agency.as_deref(), e.time.parse::<jiff::Timestamp>()) else {
        return;
    };
    let key = store::key(crate::calendar::date_of(at), agency);
    days.entry(key).or_default().count(&seen(e));
}

/// Brings the aggregate up to date with the access log: a full pass over the archives and
/// the live log only when it was never built, then what is new since the last mark, in
/// batches. Returns how many entries were counted.
pub fn refresh(app: &App) -> Result<u64> {
    let _one = REFRESH.lock().unwrap_or_else(|p| p.into_inner());
    let mut counted = 0u64;
    let mut last = store::last_seq(&app.db.read()?)?;
    if last.is_none() {
        let mut days = BTreeMap::new();
        let mut max = 0u64;
        crate::audit::query::export(
            &app.db,
            app.config.data_dir(),
            &app.audit.public_key(),
            &Default::default(),
            |e| {
                count_into(&mut days, e);
                max = max.max(e.seq);
                counted += 1;
                Ok(())
            },
        )?;
        app.db.write(|txn| store::add(txn, &days, max))?;
        last = Some(max);
    }
    let mut last = last.unwrap_or(0);
    loop {
        let mut days = BTreeMap::new();
        let mut n = 0u64;
        let read = crate::audit::query::after(&app.db, last, BATCH, |e| {
            count_into(&mut days, e);
            n += 1;
            Ok(())
        })?;
        let Some(seq) = read else { break };
        app.db.write(|txn| store::add(txn, &days, seq))?;
        counted += n;
        last = seq;
    }
    Ok(counted)
}

/// The scheduler's job.
pub fn run(app: &App) {
    if let Err(e) = refresh(app) {
        tracing::error!(error = %e, "updating usage figures failed");
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct UsageQuery {
    /// The agency's code; empty: the asker's own agency, or the whole portal for the
    /// support administrator and the auditor.
    pub agency: String,
    /// First and last day (`YYYY-MM-DD`, Astana), by default the last 30 days.
    pub from: String,
    pub to: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Row {
    /// The day, or the Monday of the week.
    pub start: Date,
    pub active_users: u64,
    pub sign_ins: u64,
    pub documents: u64,
    pub actions: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Usage {
    /// The agency's code, or `None` for the whole portal.
    pub agency: Option<String>,
    pub from: Date,
    pub to: Date,
    /// Every day of the period, days without use included (a chart shows the gaps).
    pub days: Vec<Row>,
    /// Every week (Monday first) that meets the period; a week's active users are the
    /// people active on any of its days inside the period.
    pub weeks: Vec<Row>,
    /// People active at least once in the period.
    pub active_users: u64,
    pub sign_ins: u64,
    pub documents: u64,
    /// Workflow actions by area (`draft`, `poll`, `helpdesk`, ...).
    pub actions: BTreeMap<String, u64>,
}

fn parse_day(field: &str, s: &str) -> Result<Option<Date>> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    s.parse().map(Some).map_err(|_| Error::invalid(field, "invalid-date"))
}

fn row(start: Date, d: &DayUsage) -> Row {
    Row {
        start,
        active_users: d.users.len() as u64,
        sign_ins: d.sign_ins,
        documents: d.documents,
        actions: d.action_total(),
    }
}

/// The usage figures of `query`'s agency (or the portal) for its period.
pub fn usage(app: &App, actor: &Actor, query: &UsageQuery) -> Result<Usage> {
    let action = Action::Usage(UsageAction::Read);
    let code = query.agency.trim();
    let agency = if code.is_empty() {
        match actor.user() {
            Some(_) if decide(actor, action, Object::Appliance) => None,
            Some(u) => Some((u.agency_id, u.agency_code.clone())),
            None => None,
        }
    } else {
        let agencies = crate::portal::directory::service::agencies_by_id(app)?;
        let found = agencies.values().find(|a| a.code.eq_ignore_ascii_case(code));
        // An unknown code is refused like another agency's: codes are not secret, but the
        // answer must not differ for people who may not look anyway.
        match found {
            Some(a) => Some((a.id, a.code.clone())),
            None if decide(actor, action, Object::Appliance) => {
                return Err(Error::invalid("agency", "usage-unknown-agency"));
            }
            None => Some((0, code.to_owned())),
        }
    };
    match &agency {
        Some((id, _)) => require(actor, action, Object::Agency(*id))?,
        None => require(actor, action, Object::Appliance)?,
    }
    let to = parse_day("to", &query.to)?.unwrap_or_else(crate::calendar::today);
    let from = parse_day("from", &query.from)?
        .unwrap_or_else(|| to.checked_sub(jiff::Span::new().days(29)).unwrap_or(to));
    if from > to {
        return Err(Error::invalid("from", "usage-period-order"));
    }
    if (to - from).get_days() as i64 >= MAX_DAYS {
        return Err(Error::invalid("from", "usage-period-too-long"));
    }
    // Count the requests already answered too: their entries may still be in the journal.
    app.audit.flush_blocking();
    refresh(app)?;
    let stored = store::between(&app.db.read()?, from, to)?;
    let code = agency.map(|(_, c)| c);
    let mut by_day: BTreeMap<Date, DayUsage> = BTreeMap::new();
    for (date, a, d) in &stored {
        if code.as_deref().is_none_or(|c| c == a) {
            by_day.entry(*date).or_default().merge(d);
        }
    }
    let (mut days, mut weeks) = (Vec::new(), Vec::new());
    let mut week: Option<(Date, DayUsage)> = None;
    let mut all = DayUsage::default();
    let empty = DayUsage::default();
    let mut day = from;
    while day <= to {
        let d = by_day.get(&day).unwrap_or(&empty);
        days.push(row(day, d));
        all.merge(d);
        let monday = week_start(day);
        match &mut week {
            Some((start, w)) if *start == monday => w.merge(d),
            _ => {
                if let Some((start, w)) = week.take() {
                    weeks.push(row(start, &w));
                }
                week = Some((monday, d.clone()));
            }
        }
        day = day.tomorrow().map_err(Error::internal)?;
    }
    if let Some((start, w)) = week.take() {
        weeks.push(row(start, &w));
    }
    let active: BTreeSet<u64> = all.users.clone();
    Ok(Usage {
        agency: code,
        from,
        to,
        days,
        weeks,
        active_users: active.len() as u64,
        sign_ins: all.sign_ins,
        documents: all.documents,
        actions: all.actions,
    })
}
