//! The `[helpdesk]` section of the configuration: support hours, targets per urgency,
//! reopening and closing periods.

use jiff::SignedDuration;
use serde::{Deserialize, Serialize};

use super::model::Urgency;
use super::sla::Targets;
use crate::calendar::{Schedule, Span};

/// Minutes of support hours for each urgency.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct PerUrgency {
    pub critical: u32,
    pub high: u32,
    pub normal: u32,
    pub low: u32,
}

impl PerUrgency {
    pub fn of(&self, urgency: Urgency) -> u32 {
        match urgency {
            Urgency::Critical => self.critical,
            Urgency::High => self.high,
            Urgency::Normal => self.normal,
            Urgency::Low => self.low,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HelpdeskConfig {
    /// Support hours on working weekdays, Astana time (I617 §12).
    pub hours_weekdays: String,
    /// Support hours on Saturdays; empty for none.
    pub hours_saturday: String,
    /// Minutes of support hours to the first response, per urgency.
    pub first_response_minutes: PerUrgency,
    /// Minutes of support hours to the resolution, per urgency.
    pub resolution_minutes: PerUrgency,
    /// A running target with at most this share (percent) left is shown as due soon.
    pub due_soon_percent: u32,
    /// Calendar days after a ticket was resolved or closed during which the applicant's
    /// answer reopens it; later answers open a new ticket linked to the old one.
    pub reopen_days: u32,
    /// Working days after which a resolved ticket nobody answered is closed by the portal.
    pub close_after_working_days: u32,
}

impl Default for HelpdeskConfig {
    fn default() -> Self {
        HelpdeskConfig {
            hours_weekdays: "09:00-19:00".into(),
            hours_saturday: "10:00-13:00".into(),
            first_response_minutes: PerUrgency { critical: 30, high: 60, normal: 240, low: 480 },
            resolution_minutes: PerUrgency { critical: 240, high: 600, normal: 1800, low: 3000 },
            due_soon_percent: 25,
            reopen_days: 10,
            close_after_working_days: 3,
        }
    }
}

impl HelpdeskConfig {
    /// The support service's weekly schedule.
    pub fn schedule(&self) -> Schedule {
        let weekday = Span::parse(&self.hours_weekdays);
        let saturday = Span::parse(&self.hours_saturday);
        Schedule {
            weekdays: [weekday, weekday, weekday, weekday, weekday, saturday, None],
            transferred_workday: weekday,
        }
    }

    pub fn targets(&self, urgency: Urgency) -> Targets {
        let minutes = |m: u32| SignedDuration::from_mins(i64::from(m));
        Targets {
            first_response: minutes(self.first_response_minutes.of(urgency)),
            resolution: minutes(self.resolution_minutes.of(urgency)),
        }
    }

    pub fn verify(&self) -> anyhow::Result<()> {
        if Span::parse(&self.hours_weekdays).is_none() {
            anyhow::bail!("helpdesk.hours_weekdays must look like 09:00-19:00");
        }
        if !self.hours_saturday.trim().is_empty() && Span::parse(&self.hours_saturday).is_none() {
            anyhow::bail!("helpdesk.hours_saturday must look like 10:00-13:00 or be empty");
        }
        for u in Urgency::ALL {
            let (first, whole) =
                (self.first_response_minutes.of(*u), self.resolution_minutes.of(*u));
            if first == 0 || whole == 0 || first > whole {
                anyhow::bail!(
                    "helpdesk targets for {}: first response and resolution must be positive, \
                     the first response no longer than the resolution",
                    u.name()
                );
            }
        }
        if self.due_soon_percent > 100 {
            anyhow::bail!("helpdesk.due_soon_percent must be 0–100");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_schedule_is_that_of_i617_12() {
        let config = HelpdeskConfig::default();
        assert_eq!(config.schedule(), Schedule::support_hours());
        assert!(config.verify().is_ok());
        let mut bad = config.clone();
        bad.first_response_minutes.low = 10_000;
        assert!(bad.verify().is_err());
        bad = config;
        bad.hours_weekdays = "19:00-09:00".into();
        assert!(bad.verify().is_err());
    }
}
