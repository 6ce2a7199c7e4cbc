//! Administration of the working-day calendar: reading it, the administrator's entries
//! (one date, or a CSV file accepted whole or refused whole) and counting working days.
//! Every change is written with its access-log entry in one transaction, then the
//! portal's calendar is rebuilt.

use jiff::civil::Date;
use parking_lot::Mutex;
use serde::Serialize;
use serde_json::json;

use crate::actor::Actor;
use crate::app::App;
use crate::auth::policy::{Action, CalendarAction, Object, require};
use crate::calendar::store::{self, Stored};
use crate::calendar::{Calendar, Day, Entry, EntryKind, csv};
use crate::error::{Error, Result};

/// Largest CSV file accepted (a century of entries is far less).
pub const MAX_IMPORT_BYTES: usize = 1024 * 1024;

/// Changes are serialised so the rebuilt calendar always reflects the last commit.
static CHANGING: Mutex<()> = Mutex::new(());

fn rebuild(app: &App) -> Result<()> {
    let txn = app.db.read()?;
    app.calendar.replace(Calendar::new(store::entries(&txn)?));
    Ok(())
}

fn read(actor: &Actor) -> Result<()> {
    require(actor, Action::Calendar(CalendarAction::Read), Object::Appliance)
}

fn manage(actor: &Actor) -> Result<()> {
    require(actor, Action::Calendar(CalendarAction::Manage), Object::Appliance)
}

pub fn parse_date(field: &str, s: &str) -> Result<Date> {
    s.trim().parse().map_err(|_| {
        Error::invalid(field, "calendar-date-invalid")
            .with_detail(s.chars().take(40).collect::<String>())
    })
}

/// A year: its special days, its number of working days, the administrator's entries.
#[derive(Debug, Serialize)]
pub struct YearView {
    pub year: i16,
    /// Whether the Kurban Ait date and decrees of the year are known.
    pub confirmed: bool,
    pub working_days: i64,
    pub days: Vec<Day>,
    pub entries: Vec<Stored>,
}

pub fn year(app: &App, actor: &Actor, year: i16) -> Result<YearView> {
    read(actor)?;
    if !(1991..=2200).contains(&year) {
        return Err(Error::invalid("year", "calendar-year-invalid"));
    }
    let cal = app.calendar.get();
    let first = jiff::civil::date(year, 1, 1);
    let last = jiff::civil::date(year, 12, 31);
    let entries = {
        let txn = app.db.read()?;
        store::all(&txn)?.into_iter().filter(|s| s.entry.date.year() == year).collect()
    };
    Ok(YearView {
        year,
        confirmed: cal.year_is_confirmed(year),
        working_days: cal.working_days_between(first.yesterday().unwrap_or(first), last),
        days: cal.special_days(first, last),
        entries,
    })
}

/// Working days of a period.
#[derive(Debug, Serialize)]
pub struct WorkingDays {
    pub from: Date,
    pub to: Date,
    /// Working days from `from` to `to`, both included.
    pub working_days: i64,
    pub calendar_days: i64,
    /// The days off of the period that are not plain weekends, and worked weekend days.
    pub special_days: Vec<Day>,
}

pub fn working_days(app: &App, actor: &Actor, from: &str, to: &str) -> Result<WorkingDays> {
    read(actor)?;
    let from = parse_date("from", from)?;
    let to = parse_date("to", to)?;
    if to < from {
        return Err(Error::invalid("to", "calendar-range-reversed"));
    }
    let days = from.until(to).map(|s| s.get_days() as i64).unwrap_or(0) + 1;
    if days > 366 * 20 {
        return Err(Error::invalid("to", "calendar-range-too-long"));
    }
    let cal = app.calendar.get();
    Ok(WorkingDays {
        from,
        to,
        working_days: cal.working_days_between(from.yesterday().unwrap_or(from), to),
        calendar_days: days,
        special_days: cal.special_days(from, to),
    })
}

fn stored(actor: &Actor, entry: Entry) -> Stored {
    Stored { entry, by: actor.log_name(), at: crate::clock::utc_string(crate::clock::now()) }
}

fn check_note(note: &str) -> Result<String> {
    let note = note.trim();
    if note.chars().count() > 300 || note.chars().any(char::is_control) {
        return Err(Error::invalid("note", "calendar-note-invalid"));
    }
    Ok(note.to_owned())
}

/// Adds or replaces the administrator's entry of a date.
pub fn set(app: &App, actor: &Actor, date: &str, kind: &str, note: &str) -> Result<Stored> {
    manage(actor)?;
    let date = parse_date("date", date)?;
    if !(1991..=2200).contains(&date.year()) {
        return Err(Error::invalid("date", "calendar-date-invalid"));
    }
    let kind =
        EntryKind::parse(kind).ok_or_else(|| Error::invalid("kind", "calendar-kind-invalid"))?;
    let entry = stored(actor, Entry { date, kind, note: check_note(note)? });
    let _guard = CHANGING.lock();
    let out = entry.clone();
    app.audit.change(actor, "calendar.set", |txn| {
        let old = store::put(txn, &entry)?;
        let detail = json!({
            "date": date.to_string(),
            "kind": kind.name(),
            "previous": old.map(|o| o.entry.kind.name()),
        });
        Ok(((), Some(detail)))
    })?;
    rebuild(app)?;
    Ok(out)
}

/// Removes the administrator's entry of a date (the built-in answer applies again).
pub fn remove(app: &App, actor: &Actor, date: &str) -> Result<()> {
    manage(actor)?;
    let date = parse_date("date", date)?;
    let _guard = CHANGING.lock();
    app.audit.change(actor, "calendar.remove", |txn| {
        let old = store::remove(txn, date)?.ok_or_else(Error::not_found)?;
        Ok(((), Some(json!({"date": date.to_string(), "kind": old.entry.kind.name()}))))
    })?;
    rebuild(app)
}

/// Imports a CSV of entries: all of them, or — at the first malformed line — none, with
/// the line's number and text in the error.
pub fn import(app: &App, actor: &Actor, bytes: &[u8]) -> Result<usize> {
    manage(actor)?;
    if bytes.len() > MAX_IMPORT_BYTES {
        return Err(Error::new(crate::error::Code::TooLarge)
            .with_field("file")
            .with_detail_key("calendar-csv-too-large"));
    }
    let entries = csv::parse(bytes).map_err(|e| {
        Error::invalid("file", e.reason).with_detail(format!("{}: {}", e.line, e.text))
    })?;
    if entries.is_empty() {
        return Err(Error::invalid("file", "calendar-csv-empty"));
    }
    let n = entries.len();
    let _guard = CHANGING.lock();
    app.audit.change(actor, "calendar.import", |txn| {
        let mut replaced = 0;
        for e in &entries {
            replaced += usize::from(store::put(txn, &stored(actor, e.clone()))?.is_some());
        }
        let first = entries.iter().map(|e| e.date).min().map(|d| d.to_string());
        let last = entries.iter().map(|e| e.date).max().map(|d| d.to_string());
        Ok(((), Some(json!({"entries": n, "replaced": replaced, "first": first, "last": last}))))
    })?;
    rebuild(app)?;
    Ok(n)
}

/// The administrator's entries as CSV (what `import` reads).
pub fn export(app: &App, actor: &Actor) -> Result<String> {
    read(actor)?;
    actor.origin.set_operation("calendar.export");
    let txn = app.db.read()?;
    Ok(csv::write(&store::entries(&txn)?))
}

/// One month of a year in numbers.
#[derive(Debug, Clone, Serialize)]
pub struct MonthRow {
    pub month: i8,
    pub calendar_days: i64,
    pub working_days: i64,
    pub days_off: i64,
    /// Working hours of a 40-hour week (8 a working day).
    pub working_hours: i64,
}

/// The year month by month (the production calendar's table).
pub fn months(app: &App, actor: &Actor, year: i16) -> Result<Vec<MonthRow>> {
    read(actor)?;
    if !(1991..=2200).contains(&year) {
        return Err(Error::invalid("year", "calendar-year-invalid"));
    }
    let cal = app.calendar.get();
    Ok((1..=12)
        .map(|m| {
            let first = jiff::civil::date(year, m, 1);
            let last = first.last_of_month();
            let calendar_days = last.day() as i64;
            let working_days = cal.working_days_between(first.yesterday().unwrap_or(first), last);
            MonthRow {
                month: m,
                calendar_days,
                working_days,
                days_off: calendar_days - working_days,
                working_hours: working_days * 8,
            }
        })
        .collect())
}
