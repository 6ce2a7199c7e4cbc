//! Action plans (I385 §29–§37): the records and the rules that need no I/O — the item
//! fields of §32 and their checks, report periods from the periodicity, an item's status on
//! a given day. Deadlines count in working days on the calendar they are given; nothing
//! here stores a date computed from a calendar, so a decree entered later moves them.

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::calendar::Calendar;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PlanKind {
    /// An agency's own plan, posted by its responsible department within 3 working days of
    /// approval (§30); visible when signed to every employee of the agency (§37).
    Agency,
    /// The Government's plan, posted by the agency that collects its reports within 5
    /// working days (§31); signed reports visible to that authorized body (§36).
    Government,
}

impl PlanKind {
    pub fn name(self) -> &'static str {
        match self {
            PlanKind::Agency => "agency",
            PlanKind::Government => "government",
        }
    }

    /// Working days allowed between approval and posting.
    pub fn posting_days(self) -> i32 {
        match self {
            PlanKind::Agency => 3,
            PlanKind::Government => 5,
        }
    }
}

/// How often reports are due (§32 p. 4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Periodicity {
    Once,
    Monthly,
    Quarterly,
    HalfYearly,
    Yearly,
}

impl Periodicity {
    pub const ALL: &'static [Periodicity] = &[
        Periodicity::Once,
        Periodicity::Monthly,
        Periodicity::Quarterly,
        Periodicity::HalfYearly,
        Periodicity::Yearly,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Periodicity::Once => "once",
            Periodicity::Monthly => "monthly",
            Periodicity::Quarterly => "quarterly",
            Periodicity::HalfYearly => "half_yearly",
            Periodicity::Yearly => "yearly",
        }
    }

    pub fn parse(s: &str) -> Option<Periodicity> {
        Periodicity::ALL.iter().copied().find(|p| p.name() == s)
    }

    /// Months in one period (0 for once).
    fn months(self) -> i8 {
        match self {
            Periodicity::Once => 0,
            Periodicity::Monthly => 1,
            Periodicity::Quarterly => 3,
            Periodicity::HalfYearly => 6,
            Periodicity::Yearly => 12,
        }
    }
}

/// The last days of the reporting periods of an item: for `once` its end; otherwise every
/// month, quarter, half-year or year end that falls within `start..=end`. Empty when the
/// item is too short for its periodicity (refused when the item is entered).
pub fn period_ends(start: Date, end: Date, p: Periodicity) -> Vec<Date> {
    if end < start {
        return Vec::new();
    }
    if p == Periodicity::Once {
        return vec![end];
    }
    let step = p.months();
    let mut out = Vec::new();
    let mut year = start.year();
    let mut month = step;
    loop {
        if month > 12 {
            month -= 12;
            year += 1;
        }
        let Ok(first) = Date::new(year, month, 1) else { break };
        let last = first.last_of_month();
        if last > end {
            break;
        }
        if last >= start {
            out.push(last);
        }
        month += step;
    }
    out
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Posting {
    pub at: String,
    pub by: u64,
    /// The Astana date of posting.
    pub date: Date,
    /// The last day allowed (§30–§31), on the calendar of the day it was posted.
    pub due: Date,
    /// Working days after `due` (0 when on time).
    pub late_working_days: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Plan {
    pub id: u64,
    pub kind: PlanKind,
    pub title: String,
    /// The agency that posts the plan: the agency itself (§30) or, for the Government's
    /// plan, the authorized body that collects its reports (§31).
    pub owner: u64,
    pub approved_on: Date,
    /// The approval document with its files (a portal document).
    pub approval_document: Option<u64>,
    pub created_by: u64,
    pub created_at: String,
    pub posted: Option<Posting>,
    /// Agencies named as responsible executor or co-executor of any item.
    pub executors: Vec<u64>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Task {
    pub id: u64,
    pub title: String,
    pub text: String,
    pub start: Date,
    pub end: Date,
    /// Accounts that execute the task (and may report on the item).
    pub executors: Vec<u64>,
    pub assigned_by: u64,
    pub assigned_at: String,
    /// Working days after the one working day allowed (§33); 0 when on time.
    pub late_working_days: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReportState {
    Submitted,
    Accepted,
    Returned,
}

impl ReportState {
    pub fn name(self) -> &'static str {
        match self {
            ReportState::Submitted => "submitted",
            ReportState::Accepted => "accepted",
            ReportState::Returned => "returned",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Report {
    pub id: u64,
    /// The last day of the period reported on.
    pub period: Date,
    pub author: u64,
    pub text: String,
    /// A portal document with the report's files, if any.
    pub document: Option<u64>,
    pub submitted_at: String,
    pub state: ReportState,
    pub comment: String,
    pub reviewed_by: Option<u64>,
    pub reviewed_at: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Signed {
    pub user_id: u64,
    pub at: String,
    pub signature_id: u64,
}

/// The consolidated report on an item (§35): a portal document the head signs.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Consolidated {
    pub document: u64,
    pub author: u64,
    pub posted_at: String,
    pub signed: Option<Signed>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Item {
    pub plan: u64,
    pub id: u64,
    /// §32 p. 1: the item's number as printed in the plan ("1", "2.1").
    pub number: String,
    pub start: Date,
    pub end: Date,
    pub periodicity: Periodicity,
    pub title: String,
    pub content: String,
    /// §32 p. 7: the item this one is an internal item of.
    pub parent: Option<u64>,
    /// §32 p. 8: the responsible executor (an agency, and its department when named).
    pub responsible: u64,
    pub responsible_department: Option<u64>,
    /// §32 p. 9.
    pub co_executors: Vec<u64>,
    /// §32 p. 10: the text of the item's document (its files are on the plan's document).
    pub text: String,
    pub tasks: Vec<Task>,
    pub reports: Vec<Report>,
    pub consolidated: Option<Consolidated>,
}

impl Item {
    pub fn task_executors(&self) -> Vec<u64> {
        let mut v: Vec<u64> = self.tasks.iter().flat_map(|t| t.executors.iter().copied()).collect();
        v.sort_unstable();
        v.dedup();
        v
    }

    pub fn accepted(&self, period: Date) -> bool {
        self.reports.iter().any(|r| r.period == period && r.state == ReportState::Accepted)
    }
}

/// Why a plan or a step is refused; `key()` is the message id of the translated reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    EndBeforeStart,
    NoDueDate,
    DuplicateNumber,
    UnknownParent,
    TaskOutsideItem,
    NotAnExecutor,
    AlreadyPosted,
    NotPosted,
    NoItems,
    NotAPeriod,
    AlreadyAccepted,
    NotSubmitted,
    CommentRequired,
    NothingAccepted,
    ConsolidatedExists,
    NoConsolidated,
    AlreadySigned,
}

impl Refusal {
    pub fn key(self) -> &'static str {
        match self {
            Refusal::EndBeforeStart => "plan-end-before-start",
            Refusal::NoDueDate => "plan-no-due-date",
            Refusal::DuplicateNumber => "plan-duplicate-number",
            Refusal::UnknownParent => "plan-unknown-parent",
            Refusal::TaskOutsideItem => "plan-task-outside-item",
            Refusal::NotAnExecutor => "plan-not-an-executor",
            Refusal::AlreadyPosted => "plan-already-posted",
            Refusal::NotPosted => "plan-not-posted",
            Refusal::NoItems => "plan-no-items",
            Refusal::NotAPeriod => "plan-not-a-period",
            Refusal::AlreadyAccepted => "plan-already-accepted",
            Refusal::NotSubmitted => "plan-not-submitted",
            Refusal::CommentRequired => "plan-comment-required",
            Refusal::NothingAccepted => "plan-nothing-accepted",
            Refusal::ConsolidatedExists => "plan-consolidated-exists",
            Refusal::NoConsolidated => "plan-consolidated-missing",
            Refusal::AlreadySigned => "plan-already-signed",
        }
    }
}

/// An item's standing on a day (monitoring, §34–§35).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// The next report is not due soon.
    OnTime,
    /// The next report is due within the warning period.
    DueSoon,
    /// The next report is past due and not accepted.
    Overdue,
    /// A report for the current period awaits the responsible executor.
    Submitted,
    /// The last report was returned and none has come since.
    Returned,
    /// Every period's report was accepted.
    Done,
}

impl Status {
    pub const ALL: &'static [Status] = &[
        Status::OnTime,
        Status::DueSoon,
        Status::Overdue,
        Status::Submitted,
        Status::Returned,
        Status::Done,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Status::OnTime => "on_time",
            Status::DueSoon => "due_soon",
            Status::Overdue => "overdue",
            Status::Submitted => "submitted",
            Status::Returned => "returned",
            Status::Done => "done",
        }
    }
}

/// Where an item stands today.
#[derive(Debug, Clone, Serialize)]
pub struct Standing {
    pub status: Status,
    /// The period the next report is for, and when it is due.
    pub period: Option<Date>,
    pub due: Option<Date>,
    /// Working days past `due` (0 unless overdue, also when returned past due).
    pub overdue_working_days: i64,
}

/// Report periods, due `after` working days after each period's end, and the item's
/// standing on `today`.
pub fn standing(item: &Item, cal: &Calendar, today: Date, after: i32, soon: i64) -> Standing {
    let next = period_ends(item.start, item.end, item.periodicity)
        .into_iter()
        .find(|p| !item.accepted(*p));
    let Some(period) = next else {
        return Standing { status: Status::Done, period: None, due: None, overdue_working_days: 0 };
    };
    let due = cal.add_working_days(period, after);
    let late = if today > due { cal.working_days_between(due, today) } else { 0 };
    let latest = item.reports.iter().filter(|r| r.period == period).max_by_key(|r| r.id);
    let status = match latest.map(|r| r.state) {
        Some(ReportState::Submitted) => Status::Submitted,
        Some(ReportState::Returned) => Status::Returned,
        _ if late > 0 => Status::Overdue,
        // The soon-limit forward instead of counting the days up to `due` (a year of days
        // for every item of a big plan on each view).
        _ if due <= cal.add_working_days(today, soon as i32) => Status::DueSoon,
        _ => Status::OnTime,
    };
    Standing { status, period: Some(period), due: Some(due), overdue_working_days: late }
}

#[cfg(test)]
mod tests {
    use jiff::civil::date;

    use super::*;

    #[test]
    fn periods_follow_the_periodicity() {
        let (s, e) = (date(2026, 1, 15), date(2026, 12, 31));
        assert_eq!(
            period_ends(s, e, Periodicity::Quarterly),
            vec![date(2026, 3, 31), date(2026, 6, 30), date(2026, 9, 30), date(2026, 12, 31)]
        );
        assert_eq!(period_ends(s, e, Periodicity::Monthly).len(), 12);
        assert_eq!(
            period_ends(s, e, Periodicity::HalfYearly),
            vec![date(2026, 6, 30), date(2026, 12, 31)]
        );
        assert_eq!(period_ends(s, e, Periodicity::Once), vec![e]);
        assert_eq!(
            period_ends(date(2026, 4, 1), date(2027, 2, 1), Periodicity::Yearly),
            vec![date(2026, 12, 31)]
        );
        // Too short for its periodicity: no report would ever be due.
        assert!(
            period_ends(date(2026, 1, 10), date(2026, 2, 20), Periodicity::Quarterly).is_empty()
        );
        assert!(period_ends(e, s, Periodicity::Once).is_empty());
    }

    fn item(periodicity: Periodicity) -> Item {
        Item {
            plan: 1,
            id: 1,
            number: "1".into(),
            start: date(2026, 1, 1),
            end: date(2026, 6, 30),
            periodicity,
            title: "t".into(),
            content: String::new(),
            parent: None,
            responsible: 1,
            responsible_department: None,
            co_executors: vec![],
            text: String::new(),
            tasks: vec![],
            reports: vec![],
            consolidated: None,
        }
    }

    #[test]
    fn standing_counts_working_days_across_a_holiday() {
        let cal = Calendar::default();
        let it = item(Periodicity::Quarterly);
        // Q1 ends Tuesday 31 March 2026; the 5th working day after is Tuesday 7 April.
        let s = standing(&it, &cal, date(2026, 3, 20), 5, 3);
        assert_eq!((s.status, s.due), (Status::OnTime, Some(date(2026, 4, 7))));
        assert_eq!(standing(&it, &cal, date(2026, 4, 2), 5, 3).status, Status::DueSoon);
        let late = standing(&it, &cal, date(2026, 4, 9), 5, 3);
        assert_eq!((late.status, late.overdue_working_days), (Status::Overdue, 2));
        let mut it = it;
        it.reports.push(Report {
            id: 1,
            period: date(2026, 3, 31),
            author: 1,
            text: "x".into(),
            document: None,
            submitted_at: String::new(),
            state: ReportState::Returned,
            comment: "c".into(),
            reviewed_by: None,
            reviewed_at: None,
        });
        assert_eq!(standing(&it, &cal, date(2026, 4, 9), 5, 3).status, Status::Returned);
        it.reports[0].state = ReportState::Accepted;
        let s = standing(&it, &cal, date(2026, 4, 9), 5, 3);
        assert_eq!((s.status, s.period), (Status::OnTime, Some(date(2026, 6, 30))));
        it.reports.push(Report {
            id: 2,
            period: date(2026, 6, 30),
            state: ReportState::Accepted,
            ..it.reports[0].clone()
        });
        assert_eq!(standing(&it, &cal, date(2026, 9, 1), 5, 3).status, Status::Done);
    }
}
