//! The working-day calendar of Kazakhstan, a shared service that knows no portal feature.
//!
//! A [`Calendar`] answers, for any date, whether it is a working day and why: the five-day
//! week, the holidays of the law with the rule that a holiday on a day off moves to the
//! next working day (except the religious ones), the Kurban Ait dates and decreed
//! transfers built in for recent years ([`law`]), and the administrator's entries
//! ([`Entry`], stored by [`store`]) which win over everything else. On top of days it
//! counts working days ([`Calendar::add_working_days`], [`Calendar::working_days_between`])
//! and working time inside a schedule in Astana time ([`hours`]).
//!
//! The portal keeps one current calendar ([`Shared`], in `App::calendar`), rebuilt after
//! every change; users take a cheap `Arc` snapshot with [`Shared::get`]. Dates are civil
//! dates in Astana time: convert instants with [`today`] / [`date_of`].
//!
//! Who uses it: action-plan deadlines (working days), reminders (working days left),
//! the helpdesk's support hours (working time with pauses), headcount campaigns.

use std::collections::BTreeMap;
use std::sync::Arc;

use jiff::Timestamp;
use jiff::civil::Date;
use parking_lot::RwLock;
use serde::{Deserialize, Serialize};

pub mod csv;
pub mod hours;
pub mod law;
pub mod store;
#[cfg(test)]
mod tests;

pub use hours::{Schedule, Span};
pub use law::Holiday;

/// Years the calendar resolves ahead of time; outside them only weekends and the fixed
/// holidays count (computed on demand).
const FIRST_YEAR: i16 = 2000;
const LAST_YEAR: i16 = 2100;

/// What kind of day a date is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DayKind {
    /// Monday to Friday, nothing special.
    Workday,
    /// Saturday or Sunday.
    Weekend,
    /// A holiday of the law.
    Holiday,
    /// The working day a holiday that fell on a weekend moved to.
    MovedHoliday,
    /// A weekday made a day off by a decree (its working day is elsewhere).
    TransferredDayOff,
    /// A weekend day made a working day by a decree (a "working Saturday").
    TransferredWorkday,
}

impl DayKind {
    pub fn name(self) -> &'static str {
        match self {
            DayKind::Workday => "workday",
            DayKind::Weekend => "weekend",
            DayKind::Holiday => "holiday",
            DayKind::MovedHoliday => "moved_holiday",
            DayKind::TransferredDayOff => "transferred_day_off",
            DayKind::TransferredWorkday => "transferred_workday",
        }
    }

    pub fn is_working(self) -> bool {
        matches!(self, DayKind::Workday | DayKind::TransferredWorkday)
    }
}

/// Where the answer for a day comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// The five-day week.
    Week,
    /// The law on holidays (with the moving rule).
    Law,
    /// A built-in decree or Kurban Ait date.
    Decree,
    /// An entry made by the administrator.
    Administrator,
}

impl Source {
    pub fn name(self) -> &'static str {
        match self {
            Source::Week => "week",
            Source::Law => "law",
            Source::Decree => "decree",
            Source::Administrator => "administrator",
        }
    }
}

/// One date as the calendar sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Day {
    pub date: Date,
    pub working: bool,
    pub kind: DayKind,
    pub source: Source,
    /// The holiday the day off is for (also for a moved holiday).
    pub holiday: Option<Holiday>,
    /// For a moved holiday: the date it fell on.
    pub moved_from: Option<Date>,
    /// The administrator's note (the decree's number, say).
    pub note: String,
}

/// What an administrator's entry makes of a date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryKind {
    /// A working day (e.g. a Saturday the Government made working).
    Working,
    /// A day off that is not a holiday (e.g. the weekday a decree moved rest to).
    DayOff,
    /// A holiday (e.g. Kurban Ait of a year not built in). It does not move by itself:
    /// enter the day it moves to as a day off.
    Holiday,
}

impl EntryKind {
    pub fn name(self) -> &'static str {
        match self {
            EntryKind::Working => "working",
            EntryKind::DayOff => "day_off",
            EntryKind::Holiday => "holiday",
        }
    }

    pub fn parse(s: &str) -> Option<EntryKind> {
        match s.trim() {
            "working" => Some(EntryKind::Working),
            "day_off" => Some(EntryKind::DayOff),
            "holiday" => Some(EntryKind::Holiday),
            _ => None,
        }
    }
}

/// An administrator's entry for one date; it wins over the law and the built-in decrees.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub date: Date,
    pub kind: EntryKind,
    /// Why (a decree's number and date, "Kurban Ait 2028"); shown on the calendar page.
    #[serde(default)]
    pub note: String,
}

/// The resolved calendar: every special day of the resolved years, by date.
#[derive(Debug, Clone)]
pub struct Calendar {
    special: BTreeMap<Date, Day>,
    entries: Vec<Entry>,
}

impl Default for Calendar {
    fn default() -> Self {
        Calendar::new(Vec::new())
    }
}

impl Calendar {
    /// The built-in calendar with the administrator's entries applied.
    pub fn new(entries: Vec<Entry>) -> Calendar {
        let mut special = BTreeMap::new();
        for year in FIRST_YEAR..=LAST_YEAR {
            for day in built_in_days(year) {
                special.insert(day.date, day);
            }
        }
        for e in &entries {
            special.insert(e.date, entry_day(e));
        }
        Calendar { special, entries }
    }

    /// The administrator's entries the calendar was built with.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// Whether the year's Kurban Ait date and decrees are known (built in, or a holiday
    /// entered by the administrator that year).
    pub fn year_is_confirmed(&self, year: i16) -> bool {
        law::built_in(year).is_some()
            || self.entries.iter().any(|e| e.date.year() == year && e.kind == EntryKind::Holiday)
    }

    pub fn day(&self, date: Date) -> Day {
        if let Some(d) = self.special.get(&date) {
            return d.clone();
        }
        if !(FIRST_YEAR..=LAST_YEAR).contains(&date.year())
            && let Some(d) = built_in_days(date.year()).into_iter().find(|d| d.date == date)
        {
            return d;
        }
        plain(date)
    }

    pub fn is_working_day(&self, date: Date) -> bool {
        self.day(date).working
    }

    /// Every day of `from..=to` that is not a plain weekday or weekend (holidays, moved
    /// and transferred days, the administrator's entries).
    pub fn special_days(&self, from: Date, to: Date) -> Vec<Day> {
        if from > to {
            return Vec::new();
        }
        self.special.range(from..=to).map(|(_, d)| d.clone()).collect()
    }

    /// The first working day strictly after `date`.
    pub fn next_working_day(&self, date: Date) -> Date {
        self.add_working_days(date, 1)
    }

    /// `date` itself when it is a working day, else the next one.
    pub fn working_day_on_or_after(&self, date: Date) -> Date {
        if self.is_working_day(date) { date } else { self.next_working_day(date) }
    }

    /// The `n`-th working day after `date` (before it for negative `n`), `date` itself not
    /// counted: "within 3 working days of approval" ends at `add_working_days(approval, 3)`.
    /// With `n == 0`, `date`.
    pub fn add_working_days(&self, date: Date, n: i32) -> Date {
        let mut d = date;
        let mut left = n.unsigned_abs();
        while left > 0 {
            d = if n > 0 { d.tomorrow() } else { d.yesterday() }.unwrap_or(d);
            if self.is_working_day(d) {
                left -= 1;
            }
        }
        d
    }

    /// Working days in `(from, to]` — how many working days `to` lies after `from`; the
    /// negative count of `(to, from]` when `to` is earlier. Days late for a deadline are
    /// `working_days_between(due, today)`; working days left are
    /// `working_days_between(today, due)`.
    pub fn working_days_between(&self, from: Date, to: Date) -> i64 {
        let (lo, hi, sign) = if to >= from { (from, to, 1) } else { (to, from, -1) };
        let span = lo.until(hi).map(|s| s.get_days() as i64).unwrap_or(0);
        let mut count = 0i64;
        let mut d = lo;
        for _ in 0..span {
            d = d.tomorrow().unwrap_or(d);
            if self.is_working_day(d) {
                count += 1;
            }
        }
        sign * count
    }
}

/// A plain day: the five-day week.
fn plain(date: Date) -> Day {
    let weekend = law::is_weekend(date);
    Day {
        date,
        working: !weekend,
        kind: if weekend { DayKind::Weekend } else { DayKind::Workday },
        source: Source::Week,
        holiday: None,
        moved_from: None,
        note: String::new(),
    }
}

/// The special days of a year from the law and the built-in data.
fn built_in_days(year: i16) -> Vec<Day> {
    let mut out: Vec<Day> = law::law_days(year)
        .into_iter()
        .map(|(date, law_day)| {
            let (kind, holiday, moved_from) = match law_day {
                law::LawDay::Holiday(h) => (DayKind::Holiday, Some(h), None),
                law::LawDay::Moved { holiday, from } => {
                    (DayKind::MovedHoliday, Some(holiday), Some(from))
                }
            };
            let source =
                if holiday == Some(Holiday::KurbanAit) { Source::Decree } else { Source::Law };
            Day { date, working: false, kind, source, holiday, moved_from, note: String::new() }
        })
        .collect();
    if let Some(data) = law::built_in(year) {
        for t in data.transfers {
            out.retain(|d| d.date != t.working && d.date != t.day_off);
            out.push(Day {
                kind: DayKind::TransferredWorkday,
                working: true,
                source: Source::Decree,
                ..plain(t.working)
            });
            out.push(Day {
                kind: DayKind::TransferredDayOff,
                working: false,
                source: Source::Decree,
                moved_from: Some(t.working),
                ..plain(t.day_off)
            });
        }
    }
    out
}

fn entry_day(e: &Entry) -> Day {
    let weekend = law::is_weekend(e.date);
    let kind = match e.kind {
        EntryKind::Working if weekend => DayKind::TransferredWorkday,
        EntryKind::Working => DayKind::Workday,
        EntryKind::DayOff if weekend => DayKind::Weekend,
        EntryKind::DayOff => DayKind::TransferredDayOff,
        EntryKind::Holiday => DayKind::Holiday,
    };
    Day {
        date: e.date,
        working: e.kind == EntryKind::Working,
        kind,
        source: Source::Administrator,
        holiday: None,
        moved_from: None,
        note: e.note.clone(),
    }
}

/// Today in Astana time, by the portal's clock.
pub fn today() -> Date {
    date_of(crate::clock::now())
}

/// The Astana-time date of an instant.
pub fn date_of(t: Timestamp) -> Date {
    t.to_zoned(crate::clock::astana()).date()
}

/// The portal's current calendar, replaced whole after each change.
#[derive(Default)]
pub struct Shared(RwLock<Arc<Calendar>>);

impl Shared {
    pub fn new(calendar: Calendar) -> Shared {
        Shared(RwLock::new(Arc::new(calendar)))
    }

    /// A snapshot: later changes do not affect it.
    pub fn get(&self) -> Arc<Calendar> {
        self.0.read().clone()
    }

    pub fn replace(&self, calendar: Calendar) {
        *self.0.write() = Arc::new(calendar);
    }
}
