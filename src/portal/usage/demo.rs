//! Demo history of use (I617 §22, issue 17 point 8): the last [`DAYS`] days of the demo
//! agencies' staff signing in, reading, posting documents and acting in workflows, so the
//! usage charts of a fresh demo have something to show. The activity is written as what it
//! would have left behind — access-log entries with their times in the past, through the
//! log's own append path, each marked as generated (`AuditLog::append_generated`) — and the
//! usage feature counts them like any other entry; its tables are never written here.
//!
//! Deterministic (a fixed seed): every demo shows the same history, growing as the
//! agencies took the portal up, with quiet weekends and holidays.

use jiff::{SignedDuration, Timestamp};

use crate::actor::{Actor, Channel, Origin};
use crate::app::App;
use crate::audit::chain::Entry;
use crate::auth::roles::Role;
use crate::error::Result;

/// Days of history before today.
pub const DAYS: i64 = 45;

/// What the generated entries say they are.
const WHAT: &str = "demo history";

/// A small deterministic generator (SplitMix64): the same history on every demo (and the
/// same log in the usage benchmark).
pub struct Dice(pub u64);

impl Dice {
    pub fn roll(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        (self.roll() >> 11) as f64 / (1u64 << 53) as f64 <= p
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.roll() % n.max(1)
    }
}

/// One request of the generated day: (method, route, operation, status).
type Step = (&'static str, &'static str, &'static str, u16);

const SIGN_IN: Step = ("POST", "/login", "session.create", 303);
const READS: &[Step] = &[
    ("GET", "/", "page.view", 200),
    ("GET", "/documents", "page.view", 200),
    ("GET", "/inbox", "page.view", 200),
    ("GET", "/search", "search.query", 200),
];
const POST_DOCUMENT: Step = ("POST", "/api/v1/documents", "document.create", 201);
/// Workflow steps that need no object of their own (so no entry names an object that does
/// not exist).
const ACTIONS: &[Step] = &[
    ("POST", "/helpdesk", "helpdesk.file", 303),
    ("POST", "/proposals", "proposal.create", 303),
    ("POST", "/trainings", "training.request", 303),
];

/// People whose use is generated: the agencies' staff, not the administrators, the
/// support administrator or the auditor (their work is not "use by the agency").
fn staff(app: &App, operator: &Actor) -> Result<Vec<Actor>> {
    let mut users: Vec<_> = crate::portal::directory::service::every_user_by_id(app)?
        .into_values()
        .filter(|u| {
            !u.roles
                .iter()
                .any(|r| matches!(r, Role::SystemAdmin | Role::SupportAdmin | Role::Auditor))
        })
        .collect();
    users.sort_by_key(|u| u.id);
    users.iter().map(|u| crate::ops::demo::as_user(app, operator, &u.login)).collect()
}

/// The entry of one generated request by `who` at `at`.
fn entry(who: &Actor, step: Step, at: Timestamp, dice: &mut Dice) -> Entry {
    let (method, route, operation, status) = step;
    let origin = Origin::new(Channel::Http, "demo".into(), method, route.into(), route.into());
    let mut e = Entry::of(&who.who, &origin, operation, "ok", status);
    e.time = crate::clock::utc_string(at);
    e.duration_us = 2_000 + dice.below(40_000);
    e
}

/// Generates the history; returns the number of entries written.
pub fn seed(app: &App, operator: &Actor) -> Result<usize> {
    let people = staff(app, operator)?;
    let calendar = app.calendar.get();
    let today = crate::calendar::today();
    let mut dice = Dice(0x1617_0022);
    let mut written = 0;
    for back in (1..=DAYS).rev() {
        let Ok(day) = today.checked_sub(jiff::Span::new().days(back)) else { continue };
        let working = calendar.is_working_day(day);
        // Take-up grows over the period: a third of the staff at first, most of them now;
        // a few look in on days off.
        let share = if working { 0.35 + 0.5 * (DAYS - back) as f64 / DAYS as f64 } else { 0.06 };
        let Ok(morning) = day.at(9, 0, 0, 0).to_zoned(crate::clock::astana()) else { continue };
        let morning = morning.timestamp();
        let mut entries = Vec::new();
        for who in &people {
            if !dice.chance(share) {
                continue;
            }
            let mut at = morning + SignedDuration::from_mins(dice.below(8 * 60) as i64);
            let mut step = |s: Step, dice: &mut Dice, entries: &mut Vec<Entry>| {
                entries.push(entry(who, s, at, dice));
                at += SignedDuration::from_secs(20 + dice.below(900) as i64);
            };
            step(SIGN_IN, &mut dice, &mut entries);
            for _ in 0..1 + dice.below(4) {
                let read = READS[dice.below(READS.len() as u64) as usize];
                step(read, &mut dice, &mut entries);
            }
            if dice.chance(0.3) {
                step(POST_DOCUMENT, &mut dice, &mut entries);
            }
            if dice.chance(0.15) {
                let action = ACTIONS[dice.below(ACTIONS.len() as u64) as usize];
                step(action, &mut dice, &mut entries);
            }
        }
        entries.sort_by(|a, b| a.time.cmp(&b.time));
        written += app.audit.append_generated(entries, WHAT)?;
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_dice_are_the_same_every_time_and_fair_enough() {
        let (mut a, mut b) = (Dice(7), Dice(7));
        let xs: Vec<u64> = (0..5).map(|_| a.roll()).collect();
        let ys: Vec<u64> = (0..5).map(|_| b.roll()).collect();
        assert_eq!(xs, ys);
        let mut d = Dice(1);
        let hits = (0..10_000).filter(|_| d.chance(0.3)).count();
        assert!((2_700..3_300).contains(&hits), "{hits}");
        assert!((0..1000).all(|_| d.below(3) < 3));
    }
}
