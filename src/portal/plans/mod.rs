//! Action-plan monitoring (I385 §29–§37): agency plans and the Government's plan, their
//! items (§32), tasks (§33), reports (§34), consolidated reports signed by the head (§35)
//! and who may see them (§36–§37); deadlines in working days on the shared calendar,
//! tables, XLSX and charts through the shared reporting layer.

pub mod demo;
pub mod http;
pub mod model;
pub mod monitor;
pub mod pages;
pub mod service;
pub mod store;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PlansConfig {
    /// Code of the agency that collects reports on the Government's plan and posts it (§31).
    pub government_agency: String,
    /// A report is due on this working day after the end of its period.
    pub report_working_day: u32,
    /// "Due soon" this many working days before a report is due (and reminded then).
    pub due_soon_working_days: u32,
    /// How often (seconds) reminders are looked for.
    pub reminder_check_seconds: u64,
}

impl Default for PlansConfig {
    fn default() -> Self {
        PlansConfig {
            government_agency: "KPM".into(),
            report_working_day: 5,
            due_soon_working_days: 3,
            reminder_check_seconds: 600,
        }
    }
}
