//! The refresh twice a day (I385 §51): at each configured time (Astana time, whatever the
//! host's time zone) the latest imported state of a source becomes what people see — new
//! instructions appear, changed ones are updated, executed and withdrawn ones drop out —
//! and each agency's controllers get one notice summarising new, changed and newly
//! overdue instructions. The scheduler runs a missed refresh once after downtime; the
//! administrator can refresh now (`ipgo reminders refresh`).
//!
//! A refresh is one redb write transaction: an import arriving meanwhile waits for it and
//! is shown at the next refresh; nothing is half-applied.

use std::collections::BTreeMap;

use jiff::civil::Time;
use jiff::{Timestamp, ToSpan};
use serde_json::json;

use super::import::agency_resolver;
use super::model::Source;
use super::store::{self, Event, HistoryEntry, Instruction, RefreshCounts, RefreshState};
use crate::actor::Actor;
use crate::app::App;
use crate::auth::policy::{Action, Object, ReminderAction, require};
use crate::auth::roles::Role;
use crate::error::Result;
use crate::notify::{self, AfterCommit, Notice};
use crate::portal::directory::service as directory;

/// `HH:MM` (24-hour).
pub fn parse_time(s: &str) -> Option<Time> {
    let (h, m) = s.trim().split_once(':')?;
    if h.is_empty() || h.len() > 2 || m.len() != 2 {
        return None;
    }
    Time::new(h.parse().ok()?, m.parse().ok()?, 0, 0).ok()
}

/// The scheduled instants of a day, Astana time.
fn slots_of(times: &[String], date: jiff::civil::Date) -> Vec<Timestamp> {
    times
        .iter()
        .filter_map(|t| parse_time(t))
        .filter_map(|t| date.to_datetime(t).to_zoned(crate::clock::astana()).ok())
        .map(|z| z.timestamp())
        .collect()
}

/// The latest scheduled instant at or before `now`.
pub fn latest_slot(times: &[String], now: Timestamp) -> Option<Timestamp> {
    let today = crate::calendar::date_of(now);
    let yesterday = today.checked_sub(1.day()).ok()?;
    slots_of(times, yesterday).into_iter().chain(slots_of(times, today)).filter(|s| *s <= now).max()
}

/// The next scheduled instant after `now`.
pub fn next_slot(times: &[String], now: Timestamp) -> Option<Timestamp> {
    let today = crate::calendar::date_of(now);
    let tomorrow = today.checked_add(1.day()).ok()?;
    slots_of(times, today).into_iter().chain(slots_of(times, tomorrow)).filter(|s| *s > now).min()
}

/// The scheduler's job: refreshes each source whose latest scheduled time has passed
/// since its last refresh (once, however many were missed).
pub fn run_due(app: &App) -> Result<()> {
    let now = crate::clock::now();
    for source in Source::ALL {
        let Some(slot) = latest_slot(app.config.reminders.times(*source), now) else { continue };
        let last = {
            let txn = app.db.read()?;
            store::refresh_state(&txn, *source)?
        };
        let done = last.and_then(|s| crate::clock::parse(&s.slot)).is_some_and(|t| t >= slot);
        if !done {
            let actor = Actor::system_job_bypassing_user_policy("reminders-refresh");
            let state = apply(app, &actor, *source, slot)?;
            tracing::info!(
                source = source.name(),
                new = state.counts.new,
                changed = state.counts.changed,
                dropped = state.counts.dropped,
                "reminders refreshed"
            );
        }
    }
    Ok(())
}

/// Refreshes a source now (the administrator or the operator).
pub fn refresh_now(app: &App, actor: &Actor, source: Source) -> Result<RefreshState> {
    require(actor, Action::Reminder(ReminderAction::Refresh), Object::Appliance)?;
    apply(app, actor, source, crate::clock::now())
}

#[derive(Default)]
struct Summary {
    new: u64,
    changed: u64,
    overdue: u64,
}

fn history(event: Event, received: &str, refreshed: &str, v: &store::Version) -> HistoryEntry {
    debug_assert_eq!(received, v.received);
    HistoryEntry {
        event,
        received: received.into(),
        refreshed: refreshed.into(),
        record: v.record.clone(),
    }
}

fn apply(app: &App, actor: &Actor, source: Source, slot: Timestamp) -> Result<RefreshState> {
    let resolve = agency_resolver(app)?;
    let calendar_today = crate::calendar::today();
    let refreshed = crate::clock::utc_string(crate::clock::now());
    let controllers = |agency: u64| directory::recipients(app, &[agency], &[Role::Controller]);
    let (state, after) = app.audit.change(actor, ReminderAction::Refresh.name(), |txn| {
        let previous = store::refresh_state_in(txn, source)?;
        let since = previous
            .as_ref()
            .and_then(|p| crate::clock::parse(&p.at))
            .map(crate::calendar::date_of);
        let mut counts = RefreshCounts::default();
        let mut by_agency: BTreeMap<u64, Summary> = BTreeMap::new();
        for pending in store::take_pending(txn, source)? {
            let Some((last, earlier)) = pending.versions.split_last() else { continue };
            let existing = match store::id_of(txn, source, &last.record.record_id)? {
                Some(id) => store::instruction_in(txn, id)?,
                None => None,
            };
            let (mut inst, was) = match existing {
                Some(i) => {
                    let was = i.visible.then(|| i.agency.unwrap_or(0));
                    (i, was)
                }
                None => {
                    let id = crate::db::next_id(txn, "reminder_instruction")?;
                    txn.open_table(store::BY_RECORD)?
                        .insert((source.name(), last.record.record_id.as_str()), id)?;
                    let i = Instruction {
                        id,
                        source,
                        record: last.record.clone(),
                        agency: None,
                        visible: false,
                        history: Vec::new(),
                    };
                    (i, None)
                }
            };
            let first_time = inst.history.is_empty();
            for v in earlier {
                inst.history.push(history(Event::Superseded, &v.received, &refreshed, v));
            }
            let active = last.record.status.is_active();
            let event = match (active, inst.visible) {
                (true, true) => Event::Changed,
                (true, false) if first_time => Event::Appeared,
                (true, false) => Event::Returned,
                (false, _) => Event::Dropped,
            };
            inst.history.push(history(event, &last.received, &refreshed, last));
            inst.record = last.record.clone();
            inst.agency = resolve(&inst.record.executor_agency);
            inst.visible = active;
            let summary = by_agency.entry(inst.agency.unwrap_or(0)).or_default();
            match event {
                Event::Appeared | Event::Returned => {
                    counts.new += 1;
                    summary.new += 1;
                }
                Event::Changed => {
                    counts.changed += 1;
                    summary.changed += 1;
                }
                Event::Dropped if was.is_some() => counts.dropped += 1,
                _ => {}
            }
            store::put_instruction(txn, &inst, was)?;
        }
        // Instructions to agencies the portal did not know may be known now (an agency
        // added, an alias configured).
        let unmapped: Vec<u64> =
            redb::ReadableTable::range(&txn.open_table(store::BY_AGENCY)?, (0, 0)..=(0, u64::MAX))?
                .map(|r| r.map(|(k, _)| k.value().1))
                .collect::<std::result::Result<_, _>>()?;
        for id in unmapped {
            if let Some(mut inst) = store::instruction_in(txn, id)?
                && inst.source == source
                && let Some(agency) = resolve(&inst.record.executor_agency)
            {
                inst.agency = Some(agency);
                store::put_instruction(txn, &inst, Some(0))?;
            }
        }
        // Newly overdue: the deadline passed since the previous refresh.
        for row in redb::ReadableTable::iter(&txn.open_table(store::BY_AGENCY)?)? {
            let (agency, id) = row?.0.value();
            let Some(inst) = store::instruction_in(txn, id)? else { continue };
            if inst.source != source {
                continue;
            }
            counts.visible += 1;
            let deadline = inst.record.deadline;
            if deadline < calendar_today && since.is_none_or(|s| deadline >= s) {
                counts.newly_overdue += 1;
                by_agency.entry(agency).or_default().overdue += 1;
            }
        }
        let mut after = AfterCommit::default();
        for (agency, s) in &by_agency {
            if *agency == 0 || s.new + s.changed + s.overdue == 0 {
                continue;
            }
            let to = controllers(*agency)?;
            if to.is_empty() {
                continue;
            }
            let notice = Notice::new(
                "reminders-refreshed",
                format!("/reminders?source={}", source.name()),
                format!("reminders:{}:{agency}", source.name()),
            )
            .arg("source", notify::Arg::Message(source.message_key().into()))
            .arg("new", s.new)
            .arg("changed", s.changed)
            .arg("overdue", s.overdue);
            after = after.merge(notify::enqueue_in(app, txn, &to, &notice)?);
        }
        let state =
            RefreshState { slot: crate::clock::utc_string(slot), at: refreshed.clone(), counts };
        store::put_refresh_state(txn, source, &state)?;
        let detail = json!({"source": source.name(), "slot": state.slot, "new": state.counts.new,
            "changed": state.counts.changed, "dropped": state.counts.dropped,
            "newly_overdue": state.counts.newly_overdue, "visible": state.counts.visible});
        Ok(((state, after), Some(detail)))
    })?;
    notify::after_commit(app, after);
    Ok(state)
}

/// When each source was last refreshed and how long ago (for `/metrics` and the pages).
pub fn states(app: &App) -> Result<Vec<(Source, Option<RefreshState>)>> {
    let txn = app.db.read()?;
    Source::ALL.iter().map(|s| Ok((*s, store::refresh_state(&txn, *s)?))).collect()
}
