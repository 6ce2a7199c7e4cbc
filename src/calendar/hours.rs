//! Working time inside a weekly schedule, in Astana time, minus the calendar's days off.
//!
//! A [`Schedule`] gives the hours of each weekday (the support service's default:
//! weekdays 09:00–19:00, Saturday 10:00–13:00). On a given date the hours are: none on a
//! holiday or any other day off of the calendar — except a plain weekend day, which has
//! its weekday's hours (the support service works Saturday mornings); on a weekend day a
//! decree made working, the hours of [`Schedule::transferred_workday`].
//!
//! Targets counted "in support hours" use [`Calendar::working_time`] (with pauses:
//! [`Calendar::working_time_in`] over the intervals the clock ran) and
//! [`Calendar::add_working_time`] for the instant a target falls due.

use jiff::civil::{Date, Time, Weekday};
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use super::{Calendar, DayKind};

/// Hours of one day, `start < end`, Astana time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Span {
    pub start: Time,
    pub end: Time,
}

impl Span {
    /// `"09:00-19:00"` (or with an en dash).
    pub fn parse(s: &str) -> Option<Span> {
        let (a, b) = s.trim().split_once(['-', '–'])?;
        let start: Time = a.trim().parse().ok()?;
        let end: Time = b.trim().parse().ok()?;
        (start < end).then_some(Span { start, end })
    }

    pub fn hm(start: (i8, i8), end: (i8, i8)) -> Span {
        Span {
            start: Time::constant(start.0, start.1, 0, 0),
            end: Time::constant(end.0, end.1, 0, 0),
        }
    }
}

/// Working hours of each weekday.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Schedule {
    /// Monday first.
    pub weekdays: [Option<Span>; 7],
    /// Hours of a weekend day the Government made a working day (the hours of the
    /// weekday whose rest it replaced: a full day).
    pub transferred_workday: Option<Span>,
}

impl Schedule {
    /// The user-support service (I617 §12): weekdays 09:00–19:00, Saturday 10:00–13:00.
    pub fn support_hours() -> Schedule {
        let weekday = Some(Span::hm((9, 0), (19, 0)));
        Schedule {
            weekdays: [
                weekday,
                weekday,
                weekday,
                weekday,
                weekday,
                Some(Span::hm((10, 0), (13, 0))),
                None,
            ],
            transferred_workday: weekday,
        }
    }

    /// An office day of civil servants: weekdays 09:00–18:30.
    pub fn office_hours() -> Schedule {
        let weekday = Some(Span::hm((9, 0), (18, 30)));
        Schedule {
            weekdays: [weekday, weekday, weekday, weekday, weekday, None, None],
            transferred_workday: weekday,
        }
    }

    fn of_weekday(&self, w: Weekday) -> Option<Span> {
        self.weekdays[w.to_monday_zero_offset() as usize]
    }
}

impl Calendar {
    /// The hours of `date` under `schedule` (see the module header).
    pub fn hours_on(&self, schedule: &Schedule, date: Date) -> Option<Span> {
        match self.day(date).kind {
            DayKind::Workday => schedule.of_weekday(date.weekday()),
            DayKind::Weekend => schedule.of_weekday(date.weekday()),
            DayKind::TransferredWorkday => schedule.transferred_workday,
            DayKind::Holiday | DayKind::MovedHoliday | DayKind::TransferredDayOff => None,
        }
    }

    /// The instants the hours of `date` begin and end.
    fn window(&self, schedule: &Schedule, date: Date) -> Option<(Timestamp, Timestamp)> {
        let span = self.hours_on(schedule, date)?;
        let tz = crate::clock::astana();
        let start = date.to_datetime(span.start).to_zoned(tz.clone()).ok()?.timestamp();
        let end = date.to_datetime(span.end).to_zoned(tz).ok()?.timestamp();
        Some((start, end))
    }

    /// Working time between two instants (zero when `to <= from`).
    pub fn working_time(
        &self,
        schedule: &Schedule,
        from: Timestamp,
        to: Timestamp,
    ) -> SignedDuration {
        if to <= from {
            return SignedDuration::ZERO;
        }
        let mut total = SignedDuration::ZERO;
        let last = super::date_of(to);
        let mut date = super::date_of(from);
        while date <= last {
            if let Some((start, end)) = self.window(schedule, date) {
                let a = start.max(from);
                let b = end.min(to);
                if b > a {
                    total += b.duration_since(a);
                }
            }
            match date.tomorrow() {
                Ok(d) => date = d,
                Err(_) => break,
            }
        }
        total
    }

    /// Working time over the intervals a clock ran (e.g. a ticket's time not waiting for
    /// its applicant); overlapping intervals count once.
    pub fn working_time_in(
        &self,
        schedule: &Schedule,
        intervals: &[(Timestamp, Timestamp)],
    ) -> SignedDuration {
        let mut sorted: Vec<(Timestamp, Timestamp)> =
            intervals.iter().copied().filter(|(a, b)| b > a).collect();
        sorted.sort();
        let mut merged: Vec<(Timestamp, Timestamp)> = Vec::new();
        for (a, b) in sorted {
            match merged.last_mut() {
                Some(last) if a <= last.1 => last.1 = last.1.max(b),
                _ => merged.push((a, b)),
            }
        }
        merged.iter().map(|(a, b)| self.working_time(schedule, *a, *b)).sum()
    }

    /// The instant at which `amount` of working time has passed since `from`; `None` when
    /// the schedule has no hours within ten years.
    pub fn add_working_time(
        &self,
        schedule: &Schedule,
        from: Timestamp,
        amount: SignedDuration,
    ) -> Option<Timestamp> {
        let mut left = amount;
        let mut date = super::date_of(from);
        for _ in 0..3660 {
            if let Some((start, end)) = self.window(schedule, date) {
                let a = start.max(from);
                if end > a {
                    let available = end.duration_since(a);
                    if left <= available {
                        return a.checked_add(left).ok();
                    }
                    left -= available;
                }
            }
            date = date.tomorrow().ok()?;
        }
        None
    }
}
