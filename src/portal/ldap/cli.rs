//! `ipgo directory sync` (I617 §21): one synchronisation of every configured agency
//! directory now — the same run as the schedule's and the settings page's "synchronise
//! now" (`sync::run_all`), recorded as the last run of each directory and, like every
//! administrative command, in the access log as the operator's action (`ldap.sync`, with
//! the figures in its detail). Exit 0 when every directory was synchronised, 2 when one
//! could not be (the others are still synchronised).

use std::io::Write;

use clap::Subcommand;

use super::sync::{self, Report};
use crate::actor::Actor;
use crate::app::App;
use crate::auth::policy::{Action, DirectorySyncAction, Object, require};
use crate::error::Result;
use crate::ops::commands::Command;

/// The command line's form.
#[derive(Subcommand)]
pub enum DirectoryCmd {
    /// Synchronise names, positions and departments from every agency's directory now and
    /// print what each run did.
    Sync,
}

impl DirectoryCmd {
    pub fn into_command(self) -> Command {
        match self {
            DirectoryCmd::Sync => Command::DirectorySync,
        }
    }
}

/// One line per directory, in English (the command line's language).
pub fn line(app: &App, r: &Report) -> String {
    match &r.error_key {
        Some(key) => format!(
            "{}: not synchronised: {} ({})",
            r.agency,
            app.i18n.text("en", key),
            r.error.as_deref().unwrap_or("")
        ),
        None => format!(
            "{}: {} found, {} created, {} updated, {} enabled again, {} disabled, {} skipped",
            r.agency, r.found, r.created, r.updated, r.reenabled, r.disabled, r.skipped
        ),
    }
}

pub fn sync(app: &App, actor: &Actor, out: &mut dyn Write) -> Result<i32> {
    require(actor, Action::DirectorySync(DirectorySyncAction::Run), Object::Appliance)?;
    if super::settings::effective(app).is_empty() {
        writeln!(
            out,
            "no agency directory is configured: everyone signs in with a portal password \
             (see \"Sign-in against the agencies' directories\" in the administrator's guide)"
        )?;
        return Ok(0);
    }
    let reports = sync::run_all(app, actor, "command");
    for r in &reports {
        writeln!(out, "{}", line(app, r))?;
    }
    let failed = reports.iter().filter(|r| r.error_key.is_some()).count();
    actor.origin.set_detail(serde_json::json!({
        "directories": reports.len(),
        "failed": failed,
        "created": reports.iter().map(|r| r.created).sum::<usize>(),
        "updated": reports.iter().map(|r| r.updated).sum::<usize>(),
        "disabled": reports.iter().map(|r| r.disabled).sum::<usize>(),
    }));
    Ok(if failed == 0 { 0 } else { 2 })
}
