//! Administrative commands, executed the same way whether they arrive through the admin
//! socket of a running server or run directly on the data directory. Each is an action of
//! the operator and is recorded in the access log.

use std::io::Write;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::actor::Actor;
use crate::app::App;
use crate::auth::policy::{Action, Object, require};
use crate::auth::roles::Role;
use crate::error::{Error, Result};
use crate::portal::directory::model::NewUser;
use crate::portal::directory::service::{self as directory, NewAgency};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "command", rename_all = "snake_case")]
pub enum Command {
    AgencyAdd {
        code: String,
        name_ru: String,
        name_kk: String,
        name_en: String,
        region: String,
        kind: String,
    },
    AgencyList,
    UserAdd {
        login: String,
        agency: String,
        roles: Vec<String>,
        name_ru: String,
        name_kk: String,
        email: String,
        password: Option<String>,
    },
    UserList {
        agency: Option<String>,
    },
    /// Replace an account's roles.
    UserRoles {
        login: String,
        roles: Vec<String>,
    },
    UserDisable {
        login: String,
    },
    UserEnable {
        login: String,
    },
    UserResetPassword {
        login: String,
        password: Option<String>,
    },
    AuditVerify,
    AuditExport {
        format: String,
        filter: crate::audit::query::Filter,
    },
    AuditArchive {
        before: Option<String>,
    },
    AuditCheckpoint,
    /// Check every blob, record and the access log.
    Verify,
    /// `ipgo trust …` and `ipgo cert …`.
    Signatures(super::signatures::SignCommand),
    /// `ipgo calendar …`.
    Calendar(crate::portal::calendar::cli::CalendarCommand),
    /// `ipgo reminders …`.
    Reminders(crate::portal::reminders::cli::RemindersCommand),
    /// `ipgo headcount …`.
    Headcount(crate::portal::headcount::cli::HeadcountCommand),
    /// `ipgo directory sync`: one synchronisation of every agency's directory now.
    DirectorySync,
    /// Rebuild the search index from the store.
    Reindex,
    /// Online backup of the data (never the keys) to a file, or to a timed file in a
    /// directory keeping the newest `keep`.
    Backup {
        to: Option<PathBuf>,
        to_dir: Option<PathBuf>,
        keep: Option<usize>,
    },
    /// Show or move the portal's clock (only with `[testing] controllable_clock`).
    Clock {
        /// RFC 3339 instant to set the clock to.
        set: Option<String>,
        /// Duration to move the clock by (jiff's friendly format: `3h`, `2 days`, `-30m`).
        advance: Option<String>,
    },
    /// Export of the keys directory, encrypted under a passphrase.
    BackupKeys {
        to: Option<PathBuf>,
        to_dir: Option<PathBuf>,
        keep: Option<usize>,
        passphrase: String,
    },
}

impl Command {
    /// The name recorded as the route of the command's access-log entry.
    pub fn name(&self) -> &'static str {
        match self {
            Command::AgencyAdd { .. } => "agency add",
            Command::AgencyList => "agency list",
            Command::UserAdd { .. } => "user add",
            Command::UserList { .. } => "user list",
            Command::UserRoles { .. } => "user roles",
            Command::UserDisable { .. } => "user disable",
            Command::UserEnable { .. } => "user enable",
            Command::UserResetPassword { .. } => "user reset-password",
            Command::AuditVerify => "audit verify",
            Command::AuditExport { .. } => "audit export",
            Command::AuditArchive { .. } => "audit archive",
            Command::AuditCheckpoint => "audit checkpoint",
            Command::Verify => "verify",
            Command::Signatures(c) => c.name(),
            Command::Calendar(c) => c.name(),
            Command::Reminders(c) => c.name(),
            Command::Headcount(c) => c.name(),
            Command::DirectorySync => "directory sync",
            Command::Reindex => "reindex",
            Command::Backup { .. } => "backup",
            Command::BackupKeys { .. } => "backup-keys",
            Command::Clock { .. } => "clock",
        }
    }

    /// Whether the command only reads (its log entry is group-committed).
    fn read_only(&self) -> bool {
        matches!(
            self,
            Command::AgencyList
                | Command::UserList { .. }
                | Command::AuditVerify
                | Command::AuditExport { .. }
                | Command::Verify
        ) || matches!(self, Command::Signatures(c) if c.read_only())
            || matches!(self, Command::Calendar(c) if c.read_only())
            || matches!(self, Command::Reminders(c) if c.read_only())
            || matches!(self, Command::Headcount(c) if c.read_only())
    }
}

/// What a command produced: text for the terminal and the process exit code.
pub struct Outcome {
    pub exit: i32,
}

/// Runs a command as `actor`, writing human-readable output to `out`, and records it in
/// the access log (inside the change's transaction for changes).
pub fn execute(app: &App, actor: &Actor, command: Command, out: &mut dyn Write) -> Outcome {
    let read_only = command.read_only();
    let result = run(app, actor, command, out);
    let (exit, outcome) = match &result {
        Ok(code) => (*code, if *code == 0 { "ok" } else { "failed" }),
        Err(e) => {
            let _ = writeln!(out, "error: {}", describe(app, e));
            (
                if e.code == crate::error::Code::Forbidden { 77 } else { 1 },
                crate::audit::outcome_for(&actor.origin, 0, Some(e)),
            )
        }
    };
    if !actor.origin.is_logged() {
        let operation =
            actor.origin.operation().unwrap_or_else(|| actor.origin.route.replace(' ', "."));
        let mut entry = crate::audit::Entry::draft(actor, &operation, outcome, 0);
        entry.detail = actor.origin.detail();
        app.audit.submit_blocking(entry);
        if !read_only || exit != 0 {
            app.audit.flush_blocking();
        }
    }
    Outcome { exit }
}

/// An error as the operator reads it, in English (the CLI's language).
pub fn describe(app: &App, e: &Error) -> String {
    let mut text = app.i18n.error_message("en", e);
    if let Some(field) = &e.field {
        text.push_str(&format!(" [{field}]"));
    }
    if let Some(detail) = &e.detail {
        text.push_str(&format!(" ({detail})"));
    }
    // The operator at the console is the support service the message sends people to: an
    // internal error's cause, hidden from the portal's users, is what they need to act on.
    if let Some(cause) = e.cause.as_ref().filter(|_| e.code == crate::error::Code::Internal) {
        text.push_str(&format!("\ncause: {cause}"));
    }
    text
}

fn roles(names: &[String]) -> Result<Vec<Role>> {
    names
        .iter()
        .map(|n| {
            Role::parse(n.trim())
                .ok_or_else(|| Error::invalid("role", "unknown-role").with_detail(n.clone()))
        })
        .collect()
}

fn run(app: &App, actor: &Actor, command: Command, out: &mut dyn Write) -> Result<i32> {
    match command {
        Command::Clock { set, advance } => return clock(actor, set, advance, out),
        Command::Signatures(c) => return super::signatures::run(app, actor, c, out),
        Command::Calendar(c) => return crate::portal::calendar::cli::run(app, actor, c, out),
        Command::Reminders(c) => return crate::portal::reminders::cli::run(app, actor, c, out),
        Command::Headcount(c) => return crate::portal::headcount::cli::run(app, actor, c, out),
        Command::DirectorySync => return crate::portal::ldap::cli::sync(app, actor, out),
        Command::AgencyAdd { code, name_ru, name_kk, name_en, region, kind } => {
            let agency = directory::create_agency(
                app,
                actor,
                NewAgency { code, name_kk, name_ru, name_en, region, kind },
            )?;
            writeln!(out, "agency {} added (id {})", agency.code, agency.id)?;
        }
        Command::AgencyList => {
            for a in directory::agencies(app, actor)? {
                let region = a.region.map(|r| r.code()).unwrap_or("-");
                let kind = a.kind.map(|k| k.code()).unwrap_or("-");
                writeln!(out, "{}\t{}\t{}\t{region}\t{kind}", a.code, a.name_ru, a.name_kk)?;
            }
        }
        Command::UserAdd {
            login,
            agency,
            roles: role_names,
            name_ru,
            name_kk,
            email,
            password,
        } => {
            let input = NewUser {
                login,
                agency,
                name_ru,
                name_kk,
                email,
                roles: roles(&role_names)?,
                password,
                ..Default::default()
            };
            let created = directory::create_user(app, actor, input)?;
            writeln!(out, "user {} added (id {})", created.user.login, created.user.id)?;
            if let Some(otp) = created.one_time_password {
                writeln!(out, "one-time password: {otp}")?;
                writeln!(out, "(it must be changed at the first sign-in)")?;
            }
        }
        Command::UserList { agency } => {
            for a in directory::accounts(app, actor, agency.as_deref())? {
                let status = match (a.user.status, a.locked) {
                    (crate::portal::directory::model::UserStatus::Disabled, _) => "disabled",
                    (_, true) => "locked",
                    _ => "active",
                };
                let roles: Vec<&str> = a.user.roles.iter().map(|r| r.name()).collect();
                writeln!(
                    out,
                    "{}\t{}\t{}\t{}\t{}",
                    a.user.login,
                    a.agency_code,
                    roles.join(","),
                    status,
                    a.user.name_ru
                )?;
            }
        }
        Command::UserRoles { login, roles: role_names } => {
            let user = directory::user_by_login(app, actor, &login)?;
            let user = directory::set_roles(app, actor, user.id, roles(&role_names)?)?;
            let names: Vec<&str> = user.roles.iter().map(|r| r.name()).collect();
            writeln!(out, "user {login} now holds {}", names.join(","))?;
        }
        Command::UserDisable { login } => {
            let user = directory::user_by_login(app, actor, &login)?;
            directory::set_disabled(app, actor, user.id, true)?;
            writeln!(out, "user {login} disabled; their sessions have ended")?;
        }
        Command::UserEnable { login } => {
            let user = directory::user_by_login(app, actor, &login)?;
            directory::set_disabled(app, actor, user.id, false)?;
            writeln!(out, "user {login} enabled")?;
        }
        Command::UserResetPassword { login, password } => {
            let user = directory::user_by_login(app, actor, &login)?;
            match directory::reset_password(app, actor, user.id, password)? {
                Some(otp) => writeln!(out, "one-time password for {login}: {otp}")?,
                None => writeln!(out, "password of {login} set")?,
            }
        }
        Command::AuditVerify => {
            require(actor, Action::AuditVerify, Object::Appliance)?;
            app.audit.flush_blocking();
            let trusted = app.audit.public_key();
            let report = crate::audit::verify::verify(&app.db, app.config.data_dir(), &trusted)?;
            write!(out, "{report}")?;
            actor.origin.set_detail(
                serde_json::json!({"entries": report.entries, "problems": report.problems.len()}),
            );
            return Ok(if report.ok() { 0 } else { 2 });
        }
        Command::AuditExport { format, filter } => {
            require(actor, Action::AuditExport, Object::Appliance)?;
            app.audit.flush_blocking();
            let trusted = app.audit.public_key();
            match format.as_str() {
                "csv" => {
                    let mut w = csv::Writer::from_writer(&mut *out);
                    w.write_record(crate::audit::query::CSV_HEADER).map_err(Error::internal)?;
                    crate::audit::query::export(
                        &app.db,
                        app.config.data_dir(),
                        &trusted,
                        &filter,
                        |e| {
                            w.write_record(crate::audit::query::csv_record(e))
                                .map_err(Error::internal)
                        },
                    )?;
                    w.flush()?;
                }
                "jsonl" => {
                    crate::audit::query::export(
                        &app.db,
                        app.config.data_dir(),
                        &trusted,
                        &filter,
                        |e| {
                            serde_json::to_writer(&mut *out, e)?;
                            out.write_all(b"\n")?;
                            Ok(())
                        },
                    )?;
                }
                other => {
                    return Err(
                        Error::invalid("format", "unknown-format").with_detail(other.to_owned())
                    );
                }
            }
        }
        Command::AuditArchive { before } => {
            require(actor, Action::AuditVerify, Object::Appliance)?;
            actor.origin.set_operation("audit.archive");
            let before = match before {
                Some(s) => parse_time(&s)?,
                None => crate::jobs::start_of_current_month(),
            };
            let made =
                crate::audit::archive::run(&app.audit, app.config.data_dir(), actor, before)?;
            if made.is_empty() {
                writeln!(out, "nothing to archive before {}", crate::clock::utc_string(before))?;
            }
            for a in made {
                writeln!(
                    out,
                    "archived entries {}..{} into {} (sha256 {})",
                    a.first_seq, a.last_seq, a.file, a.sha256
                )?;
            }
        }
        Command::Verify => {
            require(actor, Action::AuditVerify, Object::Appliance)?;
            actor.origin.set_operation("store.verify");
            let report = crate::ops::verify::run(app)?;
            write!(out, "{report}")?;
            actor.origin.set_detail(serde_json::json!({
                "documents": report.documents, "files": report.files, "problems": report.problems.len(),
                "duty_conflicts": report.duty_conflicts.len(),
            }));
            // 2: damaged data; 4: the data is intact but accounts break separation of duties.
            return Ok(if !report.ok() {
                2
            } else if !report.duty_conflicts.is_empty() {
                4
            } else {
                0
            });
        }
        Command::Reindex => {
            require(actor, Action::SearchReindex, Object::Appliance)?;
            writeln!(out, "rebuilding the search index from the store…")?;
            let mut progress = |done: usize, all: usize| {
                let _ = writeln!(out, "  {done} of {all} documents");
            };
            let r = crate::portal::search::feed::reindex(app, &mut progress)?;
            writeln!(
                out,
                "search index rebuilt: {} documents in {:.1} s ({} could not be indexed, see the log)",
                r.documents, r.seconds, r.failed
            )?;
            actor
                .origin
                .set_detail(serde_json::json!({"documents": r.documents, "failed": r.failed}));
            return Ok(if r.failed == 0 { 0 } else { 2 });
        }
        Command::Backup { to, to_dir, keep } => {
            require(actor, Action::BackupCreate, Object::Appliance)?;
            actor.origin.set_operation("backup.create");
            use crate::ops::backup::{create, manifest};
            let path = destination(to, to_dir.as_ref(), "ipgo-", manifest::FILE_SUFFIX)?;
            let made = create::create(app, &path)?;
            create::record(app, actor, &made)?;
            let mb = made.bytes as f64 / 1e6;
            writeln!(
                out,
                "backup written: {} ({} bytes, sha256 {})",
                made.file, made.bytes, made.sha256
            )?;
            writeln!(
                out,
                "documents {} ({} destroyed), files {}, audit archives {}, access log up to entry {}; {:.1} s, {:.0} MB/s",
                made.counts.documents,
                made.counts.destroyed,
                made.counts.blobs,
                made.counts.archives,
                made.counts.access_log_head,
                made.seconds,
                mb / made.seconds.max(1e-6)
            )?;
            writeln!(
                out,
                "the keys are not in this file: keep a key backup (`ipgo backup-keys`) apart from it"
            )?;
            prune_into(out, to_dir.as_deref(), keep, "ipgo-", manifest::FILE_SUFFIX)?;
        }
        Command::BackupKeys { to, to_dir, keep, passphrase } => {
            require(actor, Action::BackupCreate, Object::Appliance)?;
            actor.origin.set_operation("keys.backup");
            use crate::ops::backup::keys;
            keys::check_passphrase(&passphrase)?;
            let path = destination(to, to_dir.as_ref(), "ipgo-keys-", keys::FILE_SUFFIX)?;
            let files = keys::collect(app)?;
            let generation = app.vault.generation();
            let sealed = keys::seal(&files, &passphrase, app.key.public().to_hex(), generation)?;
            keys::write_file(&path, &sealed)?;
            actor.origin.set_detail(serde_json::json!({
                "file": path.display().to_string(), "vault_generation": generation,
                "documents": app.vault.document_ids().len(),
            }));
            writeln!(
                out,
                "keys written to {} (vault generation {generation}, {} document keys)",
                path.display(),
                app.vault.document_ids().len()
            )?;
            writeln!(
                out,
                "keep it apart from data backups; destroy key backups older than the last document destruction"
            )?;
            prune_into(out, to_dir.as_deref(), keep, "ipgo-keys-", keys::FILE_SUFFIX)?;
        }
        Command::AuditCheckpoint => {
            require(actor, Action::AuditVerify, Object::Appliance)?;
            match app.audit.checkpoint_now()? {
                Some(cp) => {
                    writeln!(out, "checkpoint at entry {} signed: {}", cp.seq, cp.hash)?;
                    // The whole signed record, so it can be kept elsewhere and checked
                    // offline (admin guide: openssl pkeyutl -verify).
                    writeln!(out, "{}", serde_json::to_string(&cp)?)?;
                }
                None => writeln!(out, "the access log is empty")?,
            }
        }
    }
    Ok(0)
}

/// A named file, or a timed file name in a directory.
fn destination(
    to: Option<PathBuf>,
    to_dir: Option<&PathBuf>,
    prefix: &str,
    suffix: &str,
) -> Result<PathBuf> {
    match (to, to_dir) {
        (Some(file), None) => Ok(file),
        (None, Some(dir)) => Ok(dir.join(crate::ops::backup::create::timed_name(prefix, suffix))),
        _ => Err(Error::invalid("to", "give-to-or-to-dir")),
    }
}

fn prune_into(
    out: &mut dyn Write,
    dir: Option<&std::path::Path>,
    keep: Option<usize>,
    prefix: &str,
    suffix: &str,
) -> Result<()> {
    if let (Some(dir), Some(keep)) = (dir, keep) {
        for old in crate::ops::backup::create::prune(dir, prefix, suffix, keep.max(1))? {
            writeln!(out, "removed {} (keeping the newest {keep})", old.display())?;
        }
    }
    Ok(())
}

fn parse_time(s: &str) -> Result<jiff::Timestamp> {
    if let Ok(t) = s.parse::<jiff::Timestamp>() {
        return Ok(t);
    }
    if let Ok(d) = s.parse::<jiff::civil::Date>() {
        return d.to_zoned(crate::clock::astana()).map(|z| z.timestamp()).map_err(Error::internal);
    }
    if s == "now" {
        return Ok(crate::clock::now());
    }
    Err(Error::invalid("before", "invalid-time"))
}

/// `ipgo clock`: the test suite's hand on the portal's time. Moving it is the operator's act
/// and only possible when the configuration allows it.
fn clock(
    actor: &Actor,
    set: Option<String>,
    advance: Option<String>,
    out: &mut dyn Write,
) -> Result<i32> {
    require(actor, Action::SystemMonitor, Object::Appliance)?;
    let refused = |_| Error::invalid("clock", "clock-not-controllable");
    let now = match (set, advance) {
        (Some(at), None) => {
            let to = crate::clock::parse(&at)
                .ok_or_else(|| Error::invalid("set", "invalid-time").with_detail(at.clone()))?;
            crate::clock::set(to).map_err(refused)?
        }
        (None, Some(by)) => {
            let by: jiff::SignedDuration = by
                .parse()
                .or_else(|_| {
                    by.parse::<jiff::Span>()
                        .and_then(|s| s.to_duration(jiff::SpanRelativeTo::days_are_24_hours()))
                })
                .map_err(|_| Error::invalid("advance", "invalid-time").with_detail(by.clone()))?;
            crate::clock::advance(by).map_err(refused)?
        }
        (None, None) => crate::clock::now(),
        (Some(_), Some(_)) => return Err(Error::invalid("clock", "invalid-time")),
    };
    writeln!(out, "{}", crate::clock::utc_string(now))?;
    writeln!(
        out,
        "{} Astana time",
        now.to_zoned(crate::clock::astana()).strftime("%Y-%m-%d %H:%M:%S")
    )?;
    Ok(0)
}
