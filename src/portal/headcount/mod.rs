//! Headcount monitoring (I385 §26–§28): agencies' HR officers enter their headcount in the
//! form the civil-service agency defines (typed figures, totals that must add up) for the
//! periods it calls; its verifier returns a return with comments per field or accepts it,
//! after which the figures never change (a correction is a new return); the consolidated
//! report across agencies with totals, change against the previous period and the trend,
//! as HTML, CSV, XLSX and charts through the shared reporting layer. Due dates and
//! lateness in working days on the shared calendar.

pub mod cli;
pub mod demo;
pub mod http;
pub mod model;
pub mod pages;
pub mod service;
pub mod store;
pub mod summary;
pub mod transfer;
pub mod views;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HeadcountConfig {
    /// A campaign opened without a due date is due on this working day after its period
    /// ends.
    pub due_working_days: u32,
}

impl Default for HeadcountConfig {
    fn default() -> Self {
        HeadcountConfig { due_working_days: 5 }
    }
}
