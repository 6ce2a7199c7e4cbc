//! `ipgo reminders …`: refresh now, import a file, the schedule and the last refreshes,
//! connector tokens — through the admin socket of a running server or directly on the data
//! directory, logged as the operator's action like every administrative command.

use std::io::Write;
use std::path::PathBuf;

use clap::Subcommand;
use serde::{Deserialize, Serialize};

use super::import::{self, Submission};
use super::model::Source;
use super::{refresh, service};
use crate::actor::Actor;
use crate::app::App;
use crate::error::{Error, Result};

/// The command line's form.
#[derive(Subcommand)]
pub enum RemindersCmd {
    /// Refresh now what people see (every source, or one) instead of at the next scheduled time.
    Refresh {
        /// `chancellery` or `presidential_administration`.
        #[arg(long)]
        source: Option<String>,
    },
    /// Import a JSON or CSV file of one source (shown at the next refresh).
    Import {
        #[arg(long)]
        source: String,
        file: PathBuf,
    },
    /// Each source's schedule, last refresh and pending records; the latest imports.
    Status,
    /// Issue a token to an account holding the connector role (printed once).
    TokenIssue {
        #[arg(long)]
        login: String,
        /// What the token is for (e.g. the connector's host).
        #[arg(long, default_value = "")]
        label: String,
    },
    /// List connector tokens (never the tokens themselves).
    TokenList,
    /// Revoke a connector token by its number.
    TokenRevoke { id: u64 },
}

/// The form sent over the admin socket (file contents travel inside).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum RemindersCommand {
    Refresh { source: Option<String> },
    Import { source: String, name: String, data: String },
    Status,
    TokenIssue { login: String, label: String },
    TokenList,
    TokenRevoke { id: u64 },
}

impl RemindersCmd {
    /// Reads any file the command names.
    pub fn into_command(self) -> anyhow::Result<RemindersCommand> {
        Ok(match self {
            RemindersCmd::Refresh { source } => RemindersCommand::Refresh { source },
            RemindersCmd::Import { source, file } => {
                let bytes = std::fs::read(&file)
                    .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", file.display()))?;
                let name =
                    file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                RemindersCommand::Import { source, name, data: crate::sign::store::b64(&bytes) }
            }
            RemindersCmd::Status => RemindersCommand::Status,
            RemindersCmd::TokenIssue { login, label } => {
                RemindersCommand::TokenIssue { login, label }
            }
            RemindersCmd::TokenList => RemindersCommand::TokenList,
            RemindersCmd::TokenRevoke { id } => RemindersCommand::TokenRevoke { id },
        })
    }
}

impl RemindersCommand {
    pub fn name(&self) -> &'static str {
        match self {
            RemindersCommand::Refresh { .. } => "reminders refresh",
            RemindersCommand::Import { .. } => "reminders import",
            RemindersCommand::Status => "reminders status",
            RemindersCommand::TokenIssue { .. } => "reminders token-issue",
            RemindersCommand::TokenList => "reminders token-list",
            RemindersCommand::TokenRevoke { .. } => "reminders token-revoke",
        }
    }

    pub fn read_only(&self) -> bool {
        matches!(self, RemindersCommand::Status | RemindersCommand::TokenList)
    }
}

fn source(name: &str) -> Result<Source> {
    Source::parse(name).ok_or_else(|| {
        Error::invalid("source", "reminders-error-source").with_detail(name.to_owned())
    })
}

pub fn run(
    app: &App,
    actor: &Actor,
    command: RemindersCommand,
    out: &mut dyn Write,
) -> Result<i32> {
    match command {
        RemindersCommand::Refresh { source: name } => {
            let sources = match name {
                Some(n) => vec![source(&n)?],
                None => Source::ALL.to_vec(),
            };
            for s in sources {
                let st = refresh::refresh_now(app, actor, s)?;
                let c = st.counts;
                writeln!(
                    out,
                    "{}: {} new, {} changed, {} dropped out, {} newly overdue, {} shown",
                    s.name(),
                    c.new,
                    c.changed,
                    c.dropped,
                    c.newly_overdue,
                    c.visible
                )?;
            }
        }
        RemindersCommand::Import { source: name, name: file, data } => {
            let bytes = crate::sign::store::unb64(&data)?;
            let submission = Submission {
                source: Some(source(&name)?),
                bytes: &bytes,
                size: bytes.len() as u64,
                channel: "cli",
                file,
            };
            let log = import::import(app, actor, submission)?;
            writeln!(
                out,
                "import {}: {} received, {} accepted, {} unchanged, {} refused (shown at the next refresh)",
                log.id, log.received, log.accepted, log.unchanged, log.refused
            )?;
            for e in &log.errors {
                writeln!(out, "  line {} {}: {}", e.line, e.field, app.i18n.text("en", &e.key))?;
            }
        }
        RemindersCommand::Status => {
            let admin = service::administration(app, actor)?;
            for s in &admin.sources {
                let last = s
                    .last
                    .as_ref()
                    .map(|l| {
                        crate::clock::local_display(crate::clock::parse(&l.at).unwrap_or_default())
                    })
                    .unwrap_or_else(|| "never".into());
                writeln!(
                    out,
                    "{}\ttimes {}\tlast refresh {}\tnext {}\tpending {}",
                    s.source.name(),
                    s.times.join(","),
                    last,
                    s.next
                        .as_deref()
                        .and_then(crate::clock::parse)
                        .map(crate::clock::local_display)
                        .unwrap_or_default(),
                    s.pending
                )?;
            }
            for u in &admin.unmapped {
                writeln!(
                    out,
                    "unmapped executor agency {:?}: {} instructions",
                    u.name, u.instructions
                )?;
            }
            for i in admin.imports.iter().take(20) {
                writeln!(
                    out,
                    "import {}\t{}\t{}\t{:?}\treceived {} accepted {} unchanged {} refused {}",
                    i.id,
                    i.at,
                    i.channel,
                    i.outcome,
                    i.received,
                    i.accepted,
                    i.unchanged,
                    i.refused
                )?;
            }
        }
        RemindersCommand::TokenIssue { login, label } => {
            let (t, secret) = import::issue_token(app, actor, &login, &label)?;
            writeln!(out, "token {} for {}: {secret}", t.id, t.login)?;
            writeln!(out, "Send it as `Authorization: Bearer <token>`; it is not shown again.")?;
        }
        RemindersCommand::TokenList => {
            for t in import::tokens(app, actor)? {
                let state =
                    t.revoked.map(|r| format!("revoked {r}")).unwrap_or_else(|| "active".into());
                writeln!(
                    out,
                    "{}\t{}\t{}\tissued {}\t{}",
                    t.id, t.login, t.label, t.issued, state
                )?;
            }
        }
        RemindersCommand::TokenRevoke { id } => {
            let t = import::revoke_token(app, actor, id)?;
            writeln!(out, "token {} of {} revoked", t.id, t.login)?;
        }
    }
    Ok(0)
}
