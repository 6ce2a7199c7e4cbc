//! `ipgo headcount export|import`: a period's returns as JSON and back, through the admin
//! socket of a running server or directly on the data directory, logged as the operator's
//! action like every administrative command. An accepted return is refused here too
//! (I385 §27): the import stops with the stable refusal and nothing of it is kept.

use std::io::Write;
use std::path::PathBuf;

use clap::Subcommand;
use serde::{Deserialize, Serialize};

use super::transfer::{self, PeriodFile};
use crate::actor::Actor;
use crate::app::App;
use crate::error::{Error, Result};

/// The command line's form.
#[derive(Subcommand)]
pub enum HeadcountCmd {
    /// Write every return of a period (figures, state, revision) as JSON to standard output.
    Export {
        /// The period's key as its campaign names it (e.g. `2026-Q4`, `2026-11`).
        #[arg(long)]
        period: String,
    },
    /// Load the figures of an exported (and edited) file into draft and returned returns,
    /// all or nothing; a changed accepted or submitted return refuses the whole file.
    Import { file: PathBuf },
}

/// The form sent over the admin socket (the file's text travels inside).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum HeadcountCommand {
    Export { period: String },
    Import { name: String, data: String },
}

impl HeadcountCmd {
    /// Reads any file the command names.
    pub fn into_command(self) -> anyhow::Result<HeadcountCommand> {
        Ok(match self {
            HeadcountCmd::Export { period } => HeadcountCommand::Export { period },
            HeadcountCmd::Import { file } => {
                let data = std::fs::read_to_string(&file)
                    .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", file.display()))?;
                let name =
                    file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                HeadcountCommand::Import { name, data }
            }
        })
    }
}

impl HeadcountCommand {
    pub fn name(&self) -> &'static str {
        match self {
            HeadcountCommand::Export { .. } => "headcount export",
            HeadcountCommand::Import { .. } => "headcount import",
        }
    }

    pub fn read_only(&self) -> bool {
        matches!(self, HeadcountCommand::Export { .. })
    }
}

pub fn run(
    app: &App,
    actor: &Actor,
    command: HeadcountCommand,
    out: &mut dyn Write,
) -> Result<i32> {
    match command {
        HeadcountCommand::Export { period } => {
            let file = transfer::export(app, actor, &period)?;
            serde_json::to_writer_pretty(&mut *out, &file)?;
            writeln!(out)?;
        }
        HeadcountCommand::Import { name, data } => {
            let file: PeriodFile = serde_json::from_str(&data).map_err(|e| {
                Error::invalid("file", "headcount-import-file").with_detail(format!("{name}: {e}"))
            })?;
            let done = transfer::import(app, actor, &file)?;
            writeln!(
                out,
                "{name}: {} returns changed, {} unchanged (period {})",
                done.changed, done.unchanged, file.period
            )?;
        }
    }
    Ok(0)
}
