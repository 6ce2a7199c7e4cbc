//! The support service's targets (first response, resolution), counted in support hours
//! only — the schedule of I617 §12 minus the calendar's holidays and days off — and only
//! while the clock runs: it stops while the ticket waits for the applicant and once it is
//! resolved. Everything is computed from the ticket's status history and messages at the
//! moment asked, so a changed target or a late status change never loses paused time.
//! No I/O: the calendar and the schedule are given.

use jiff::{SignedDuration, Timestamp};
use serde::Serialize;

use super::model::{Status, Ticket};
use crate::calendar::{Calendar, Schedule};

/// The targets of one urgency, in support-hour time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Targets {
    pub first_response: SignedDuration,
    pub resolution: SignedDuration,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ClockState {
    /// Counting, with more than the due-soon share of the target left.
    Running,
    /// Counting, with little of the target left.
    DueSoon,
    /// Counting, past the target.
    Overdue,
    /// Stopped while the ticket waits for the applicant.
    Paused,
    /// Reached within the target.
    Met,
    /// Reached after the target.
    Missed,
}

impl ClockState {
    pub fn name(self) -> &'static str {
        match self {
            ClockState::Running => "running",
            ClockState::DueSoon => "due_soon",
            ClockState::Overdue => "overdue",
            ClockState::Paused => "paused",
            ClockState::Met => "met",
            ClockState::Missed => "missed",
        }
    }

    pub fn message_key(self) -> String {
        format!("helpdesk-clock-{}", self.name().replace('_', "-"))
    }

    /// Whether it calls for attention (highlighted in lists).
    pub fn is_alarm(self) -> bool {
        matches!(self, ClockState::DueSoon | ClockState::Overdue)
    }
}

/// One target's clock.
#[derive(Debug, Clone, Serialize)]
pub struct Clock {
    pub state: ClockState,
    /// Support-hour minutes of the target.
    pub target_minutes: i64,
    /// Support-hour minutes counted so far (or until the target was reached).
    pub elapsed_minutes: i64,
    /// Minutes left (negative: overdue by).
    pub left_minutes: i64,
    /// When the target falls due if nothing pauses the clock (while it runs and is not
    /// overdue).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub due: Option<Timestamp>,
    /// When it was reached.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reached: Option<Timestamp>,
}

/// Both clocks of a ticket.
#[derive(Debug, Clone, Serialize)]
pub struct Clocks {
    pub first_response: Clock,
    pub resolution: Clock,
}

impl Clocks {
    /// The state that matters most for lists: overdue before due soon before the rest.
    pub fn worst(&self) -> ClockState {
        let rank = |s: ClockState| match s {
            ClockState::Overdue => 0,
            ClockState::DueSoon => 1,
            ClockState::Missed => 2,
            ClockState::Running => 3,
            ClockState::Paused => 4,
            ClockState::Met => 5,
        };
        let (a, b) = (self.first_response.state, self.resolution.state);
        if rank(a) <= rank(b) { a } else { b }
    }
}

/// What the computation needs besides the ticket.
pub struct Rules<'a> {
    pub calendar: &'a Calendar,
    pub schedule: &'a Schedule,
    pub targets: Targets,
    /// A running clock with at most this share (percent) of its target left is due soon.
    pub due_soon_percent: u32,
}

/// The intervals in which the clock ran, from the history, the last one ending `now`.
pub fn running_intervals(ticket: &Ticket, now: Timestamp) -> Vec<(Timestamp, Timestamp)> {
    let times: Vec<Option<Timestamp>> =
        ticket.history.iter().map(|c| crate::clock::parse(&c.at)).collect();
    let mut out = Vec::new();
    for (i, change) in ticket.history.iter().enumerate() {
        if !change.to.clock_runs() {
            continue;
        }
        let Some(start) = times[i] else { continue };
        let end = times.get(i + 1).copied().flatten().unwrap_or(now).min(now);
        if end > start {
            out.push((start, end));
        }
    }
    out
}

/// The moment the support service first answered: the first change by someone other than
/// the applicant (and not the portal itself) that took the ticket into work, asked the
/// applicant or resolved it, or the first message to the applicant by someone else.
pub fn first_response_at(ticket: &Ticket) -> Option<Timestamp> {
    let by_staff = |by: u64| by != 0 && by != ticket.applicant_id;
    let change = ticket
        .history
        .iter()
        .filter(|c| {
            by_staff(c.by)
                && matches!(c.to, Status::InProgress | Status::Waiting | Status::Resolved)
        })
        .filter_map(|c| crate::clock::parse(&c.at))
        .min();
    let message = ticket
        .messages
        .iter()
        .filter(|m| !m.internal && by_staff(m.by))
        .filter_map(|m| crate::clock::parse(&m.at))
        .min();
    match (change, message) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// Whole minutes, to the nearest (what a person reads).
fn minutes(d: SignedDuration) -> i64 {
    (d.as_secs_f64() / 60.0).round() as i64
}

impl Rules<'_> {
    fn clock(
        &self,
        intervals: &[(Timestamp, Timestamp)],
        target: SignedDuration,
        reached: Option<Timestamp>,
        paused: bool,
        now: Timestamp,
    ) -> Clock {
        let elapsed = self.calendar.working_time_in(self.schedule, intervals);
        let left = target - elapsed;
        let base = Clock {
            state: ClockState::Running,
            target_minutes: minutes(target),
            elapsed_minutes: minutes(elapsed),
            left_minutes: minutes(left),
            due: None,
            reached,
        };
        if reached.is_some() {
            let state = if elapsed <= target { ClockState::Met } else { ClockState::Missed };
            return Clock { state, ..base };
        }
        if left <= SignedDuration::ZERO {
            return Clock { state: ClockState::Overdue, ..base };
        }
        if paused {
            return Clock { state: ClockState::Paused, ..base };
        }
        let soon = target.as_secs() * i64::from(self.due_soon_percent) / 100;
        let state = if left.as_secs() <= soon { ClockState::DueSoon } else { ClockState::Running };
        let due = self.calendar.add_working_time(self.schedule, now, left);
        Clock { state, due, ..base }
    }

    /// Both clocks of `ticket` at `now`.
    pub fn clocks(&self, ticket: &Ticket, now: Timestamp) -> Clocks {
        let running = running_intervals(ticket, now);
        let paused = ticket.status == Status::Waiting;
        let responded = first_response_at(ticket).filter(|t| *t <= now);
        let until_response: Vec<(Timestamp, Timestamp)> = match responded {
            Some(r) => {
                running.iter().filter(|(a, _)| *a < r).map(|(a, b)| (*a, (*b).min(r))).collect()
            }
            None => running.clone(),
        };
        let first_response =
            self.clock(&until_response, self.targets.first_response, responded, paused, now);
        let resolved = match ticket.status {
            Status::Resolved | Status::Closed => {
                ticket.last_entered(Status::Resolved).and_then(crate::clock::parse)
            }
            _ => None,
        };
        let resolution = self.clock(&running, self.targets.resolution, resolved, paused, now);
        Clocks { first_response, resolution }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::portal::helpdesk::model::*;

    fn at(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn ticket(created: &str) -> Ticket {
        Ticket {
            id: 1,
            number: "2027-00001".into(),
            applicant_id: 7,
            agency_id: 1,
            entered_by: None,
            channel: Channel::Portal,
            category: Category::Documents,
            urgency: Urgency::Normal,
            subject: "s".into(),
            text: "t".into(),
            status: Status::New,
            assignee: None,
            team: None,
            rule: None,
            unrouted: false,
            history: vec![Change {
                at: crate::clock::utc_string(at(created)),
                by: 7,
                from: None,
                to: Status::New,
                note: String::new(),
            }],
            messages: vec![],
            files: None,
            continues: None,
            continued_by: None,
            created: created.into(),
            updated: created.into(),
        }
    }

    fn move_to(t: &mut Ticket, to: Status, by: u64, when: &str) {
        t.record(to, by, &crate::clock::utc_string(at(when)), "");
    }

    fn targets(fr_min: i64, res_min: i64) -> Targets {
        Targets {
            first_response: SignedDuration::from_mins(fr_min),
            resolution: SignedDuration::from_mins(res_min),
        }
    }

    /// I617 §12 across an evening, a Saturday, a Sunday and a holiday, with a pause.
    /// 2027-03-19 is a Friday; Saturday 20th has support hours 10:00–13:00; Nauryz is the
    /// 21st (a Sunday, so it moves to Wednesday 24th), 22nd and 23rd: nothing counts from
    /// Saturday 13:00 to Thursday 25th 09:00.
    #[test]
    fn counted_in_support_hours_across_evening_weekend_and_holiday_with_a_pause() {
        let cal = Calendar::default();
        for day in 21..=24 {
            assert!(!cal.is_working_day(jiff::civil::date(2027, 3, day)), "Nauryz {day}");
        }
        let schedule = Schedule::support_hours();
        let r = Rules {
            calendar: &cal,
            schedule: &schedule,
            targets: targets(60, 10 * 60),
            due_soon_percent: 25,
        };
        // Filed Friday 18:30 Astana (13:30Z): 30 minutes of the evening count.
        let mut t = ticket("2027-03-19T13:30:00Z");
        move_to(&mut t, Status::Assigned, 0, "2027-03-19T13:30:00Z");
        let c = r.clocks(&t, at("2027-03-19T16:00:00Z")); // Friday 21:00
        assert_eq!(c.first_response.elapsed_minutes, 30);
        assert_eq!(c.first_response.state, ClockState::Running);
        // Due: 30 more minutes, on Saturday at 10:30 (support works Saturday mornings).
        assert_eq!(c.first_response.due, Some(at("2027-03-20T05:30:00Z")));
        // Saturday 12:00: 30 + 120 minutes; the first response is overdue.
        let c = r.clocks(&t, at("2027-03-20T07:00:00Z"));
        assert_eq!(c.first_response.elapsed_minutes, 150);
        assert_eq!(c.first_response.state, ClockState::Overdue);
        assert_eq!(c.first_response.left_minutes, -90);
        // Taken into work on Saturday 12:30 (first response after 180 minutes: missed).
        move_to(&mut t, Status::InProgress, 3, "2027-03-20T07:30:00Z");
        // Sunday, the Nauryz days and the moved holiday add nothing; Thursday 09:00–10:00
        // adds 60.
        let c = r.clocks(&t, at("2027-03-25T05:00:00Z"));
        assert_eq!(c.first_response.state, ClockState::Missed);
        assert_eq!(c.first_response.elapsed_minutes, 180);
        assert_eq!(c.resolution.elapsed_minutes, 30 + 180 + 60);
        // Waiting for the applicant from Thursday 10:00 to Friday 15:00: paused.
        move_to(&mut t, Status::Waiting, 3, "2027-03-25T05:00:00Z");
        let c = r.clocks(&t, at("2027-03-26T10:00:00Z"));
        assert_eq!(c.resolution.state, ClockState::Paused);
        assert_eq!(c.resolution.elapsed_minutes, 270);
        assert_eq!(c.resolution.due, None);
        // The applicant answers Friday 15:00; 330 minutes are left: Friday 15:00–19:00 is
        // 240, then Saturday 10:00 + 90 = 11:30.
        move_to(&mut t, Status::InProgress, 7, "2027-03-26T10:00:00Z");
        let c = r.clocks(&t, at("2027-03-26T10:00:00Z"));
        assert_eq!(c.resolution.state, ClockState::Running);
        assert_eq!(c.resolution.due, Some(at("2027-03-27T06:30:00Z")));
        // Due soon within the last quarter (150 minutes) of the 600: Saturday 10:00.
        let c = r.clocks(&t, at("2027-03-27T05:00:00Z"));
        assert_eq!(c.resolution.state, ClockState::DueSoon, "{c:?}");
        // Resolved Saturday 11:00 (570 minutes): met; and it stays met afterwards.
        move_to(&mut t, Status::Resolved, 3, "2027-03-27T06:00:00Z");
        let c = r.clocks(&t, at("2027-04-30T05:00:00Z"));
        assert_eq!(c.resolution.state, ClockState::Met);
        assert_eq!(c.resolution.elapsed_minutes, 570);
        assert_eq!(c.resolution.reached, Some(at("2027-03-27T06:00:00Z")));
        // Reopened a week later: the clock continues from 570, not from zero.
        move_to(&mut t, Status::InProgress, 7, "2027-04-02T04:00:00Z"); // Friday 09:00
        let c = r.clocks(&t, at("2027-04-02T05:00:00Z"));
        assert_eq!(c.resolution.elapsed_minutes, 630);
        assert_eq!(c.resolution.state, ClockState::Overdue);
    }

    #[test]
    fn a_changed_target_is_applied_to_the_same_history() {
        let cal = Calendar::default();
        let schedule = Schedule::support_hours();
        let mut t = ticket("2027-03-25T04:00:00Z"); // Thursday 09:00
        move_to(&mut t, Status::Assigned, 0, "2027-03-25T04:00:00Z");
        let now = at("2027-03-25T06:00:00Z");
        let short = Rules {
            calendar: &cal,
            schedule: &schedule,
            targets: targets(60, 100),
            due_soon_percent: 25,
        };
        let long = Rules { targets: targets(240, 600), ..short };
        assert_eq!(short.clocks(&t, now).resolution.state, ClockState::Overdue);
        let c = long.clocks(&t, now);
        assert_eq!((c.resolution.state, c.resolution.elapsed_minutes), (ClockState::Running, 120));
    }

    #[test]
    fn a_staff_message_is_a_first_response_but_an_internal_note_is_not() {
        let mut t = ticket("2027-03-24T04:00:00Z");
        t.messages.push(Message {
            id: 1,
            at: crate::clock::utc_string(at("2027-03-24T04:10:00Z")),
            by: 3,
            text: "note".into(),
            internal: true,
            files: None,
        });
        t.messages.push(Message {
            id: 2,
            at: crate::clock::utc_string(at("2027-03-24T04:20:00Z")),
            by: 7,
            text: "my own".into(),
            internal: false,
            files: None,
        });
        assert_eq!(first_response_at(&t), None);
        t.messages.push(Message {
            id: 3,
            at: crate::clock::utc_string(at("2027-03-24T04:30:00Z")),
            by: 3,
            text: "answer".into(),
            internal: false,
            files: None,
        });
        assert_eq!(first_response_at(&t), Some(at("2027-03-24T04:30:00Z")));
    }
}
