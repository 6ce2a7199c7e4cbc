//! `ipgo calendar …`: the working-day calendar from the command line, through the admin
//! socket of a running server or directly on the data directory, logged as the
//! operator's action like every administrative command.

use std::io::Write;
use std::path::PathBuf;

use clap::Subcommand;
use serde::{Deserialize, Serialize};

use super::service;
use crate::actor::Actor;
use crate::app::App;
use crate::error::Result;

/// The command line's form.
#[derive(Subcommand)]
pub enum CalendarCmd {
    /// List a year's holidays, moved and transferred days and the administrator's entries.
    Show {
        /// The year (default: this year, Astana time).
        #[arg(long)]
        year: Option<i16>,
    },
    /// Make a date a working day, a day off or a holiday (e.g. a decreed working Saturday).
    Set {
        /// YYYY-MM-DD.
        date: String,
        /// `working`, `day_off` or `holiday`.
        kind: String,
        /// Why: the decree's number and date, "Kurban Ait 2028".
        #[arg(long, default_value = "")]
        note: String,
    },
    /// Remove the administrator's entry of a date (the built-in answer applies again).
    Remove { date: String },
    /// Import entries from a CSV file (`date,kind,note`); refused whole at a bad line.
    Import { file: PathBuf },
    /// Print the administrator's entries as CSV (what `import` reads).
    Export,
    /// Count the working days from one date to another, both included.
    WorkingDays { from: String, to: String },
}

/// The form sent over the admin socket (file contents travel inside).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum CalendarCommand {
    Show { year: Option<i16> },
    Set { date: String, kind: String, note: String },
    Remove { date: String },
    Import { name: String, csv: String },
    Export,
    WorkingDays { from: String, to: String },
}

impl CalendarCmd {
    /// Reads any file the command names.
    pub fn into_command(self) -> anyhow::Result<CalendarCommand> {
        Ok(match self {
            CalendarCmd::Show { year } => CalendarCommand::Show { year },
            CalendarCmd::Set { date, kind, note } => CalendarCommand::Set { date, kind, note },
            CalendarCmd::Remove { date } => CalendarCommand::Remove { date },
            CalendarCmd::Import { file } => {
                let bytes = std::fs::read(&file)
                    .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", file.display()))?;
                let name =
                    file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                CalendarCommand::Import { name, csv: crate::sign::store::b64(&bytes) }
            }
            CalendarCmd::Export => CalendarCommand::Export,
            CalendarCmd::WorkingDays { from, to } => CalendarCommand::WorkingDays { from, to },
        })
    }
}

impl CalendarCommand {
    pub fn name(&self) -> &'static str {
        match self {
            CalendarCommand::Show { .. } => "calendar show",
            CalendarCommand::Set { .. } => "calendar set",
            CalendarCommand::Remove { .. } => "calendar remove",
            CalendarCommand::Import { .. } => "calendar import",
            CalendarCommand::Export => "calendar export",
            CalendarCommand::WorkingDays { .. } => "calendar working-days",
        }
    }

    pub fn read_only(&self) -> bool {
        matches!(
            self,
            CalendarCommand::Show { .. }
                | CalendarCommand::Export
                | CalendarCommand::WorkingDays { .. }
        )
    }
}

pub fn run(app: &App, actor: &Actor, command: CalendarCommand, out: &mut dyn Write) -> Result<i32> {
    match command {
        CalendarCommand::Show { year } => {
            let y = year.unwrap_or_else(|| crate::calendar::today().year());
            let view = service::year(app, actor, y)?;
            writeln!(out, "{}: {} working days", view.year, view.working_days)?;
            if !view.confirmed {
                writeln!(
                    out,
                    "warning: no Kurban Ait date or transfer decree is known for {y}; add them with `ipgo calendar set`"
                )?;
            }
            for d in view.days {
                let what = d.holiday.map(|h| h.name().to_owned()).unwrap_or_default();
                let from = d.moved_from.map(|f| format!(" (from {f})")).unwrap_or_default();
                writeln!(
                    out,
                    "{}\t{}\t{}\t{}{}\t{}",
                    d.date,
                    if d.working { "working" } else { "off" },
                    d.kind.name(),
                    what,
                    from,
                    d.note
                )?;
            }
        }
        CalendarCommand::Set { date, kind, note } => {
            let s = service::set(app, actor, &date, &kind, &note)?;
            writeln!(out, "{} is now {}", s.entry.date, s.entry.kind.name())?;
        }
        CalendarCommand::Remove { date } => {
            service::remove(app, actor, &date)?;
            writeln!(out, "entry of {date} removed")?;
        }
        CalendarCommand::Import { name, csv } => {
            let bytes = crate::sign::store::unb64(&csv)?;
            let n = service::import(app, actor, &bytes)?;
            writeln!(out, "{n} entries imported from {name}")?;
        }
        CalendarCommand::Export => {
            write!(out, "{}", service::export(app, actor)?)?;
        }
        CalendarCommand::WorkingDays { from, to } => {
            let w = service::working_days(app, actor, &from, &to)?;
            writeln!(out, "{}", w.working_days)?;
        }
    }
    Ok(0)
}
