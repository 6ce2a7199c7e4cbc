//! Receiving batches from the e-document system (I385 §48): over HTTP from a connector
//! account (a token the administrator issues and revokes, or its registered client
//! certificate), from the import directory (files carried into an air-gapped network), or
//! from `ipgo reminders import`. A batch is checked whole before anything is kept; the
//! import log and the access log record every batch with its counts, refused ones too.
//! Accepted records wait in `PENDING` until the source's next refresh (`refresh.rs`).

use std::collections::{BTreeSet, HashMap};
use std::path::Path;

use serde_json::json;
use sha2::{Digest, Sha256};

use super::model::{self, Record, Source};
use super::store::{self, ImportLog, Outcome, Pending, Token, Version};
use crate::actor::{Actor, Origin, Who};
use crate::app::App;
use crate::auth::policy::{Action, Object, ReminderAction, require};
use crate::auth::roles::Role;
use crate::error::{Code, Error, Result};
use crate::portal::directory::service as directory;

/// A batch as it arrived.
pub struct Submission<'a> {
    /// The source named by the route or the directory (a JSON batch may name it too).
    pub source: Option<Source>,
    pub bytes: &'a [u8],
    /// The batch's size: `bytes.len()`, or more when the sender was stopped at the limit
    /// and `bytes` holds nothing.
    pub size: u64,
    /// `http`, `directory` or `cli`.
    pub channel: &'static str,
    pub file: String,
}

/// How many refused records the log keeps in full (all are counted).
const LOGGED_ERRORS: usize = 200;

fn now() -> String {
    crate::clock::utc_string(crate::clock::now())
}

/// Agency codes and aliases → agency ids.
pub(super) fn agency_resolver(app: &App) -> Result<impl Fn(&str) -> Option<u64>> {
    let by_code: HashMap<String, u64> = directory::agencies_by_id(app)?
        .into_values()
        .map(|a| (a.code.to_uppercase(), a.id))
        .collect();
    let aliases: HashMap<String, String> = app
        .config
        .reminders
        .agency_aliases
        .iter()
        .map(|(k, v)| (k.trim().to_lowercase(), v.trim().to_uppercase()))
        .collect();
    Ok(move |name: &str| {
        let key = name.trim();
        by_code.get(&key.to_uppercase()).copied().or_else(|| {
            aliases.get(&key.to_lowercase()).and_then(|code| by_code.get(code).copied())
        })
    })
}

/// Imports a batch for a connector, an administrator or the operator.
pub fn import(app: &App, actor: &Actor, submission: Submission<'_>) -> Result<ImportLog> {
    require(actor, Action::Reminder(ReminderAction::Import), Object::Appliance)?;
    import_checked_by_caller(app, actor, submission)
}

/// The import itself; the caller has checked the policy, or is the directory's pickup
/// job (`Actor::system_job_bypassing_user_policy`).
pub(super) fn import_checked_by_caller(
    app: &App,
    actor: &Actor,
    sub: Submission<'_>,
) -> Result<ImportLog> {
    actor.origin.set_operation(ReminderAction::Import.name());
    let by = match &actor.who {
        Who::User(u) => u.login.clone(),
        Who::Operator { os_user } => format!("operator:{os_user}"),
        Who::System(job) => (*job).to_owned(),
        Who::Anonymous => "-".into(),
    };
    let mut log = ImportLog {
        id: 0,
        at: now(),
        source: sub.source,
        channel: sub.channel.into(),
        by,
        file: sub.file.chars().take(200).collect(),
        bytes: sub.size.max(sub.bytes.len() as u64),
        encoding: String::new(),
        outcome: Outcome::Refused,
        received: 0,
        accepted: 0,
        unchanged: 0,
        refused: 0,
        file_error: None,
        errors: Vec::new(),
        unknown_agencies: Vec::new(),
    };
    if log.bytes > app.config.reminders.max_import_bytes() {
        let e = Error::too_large("reminders-error-too-large", app.config.reminders.max_import_mb);
        return refuse(app, actor, log, "reminders-error-too-large", e);
    }
    let parsed = match model::parse(sub.bytes) {
        Ok(p) => p,
        Err(fe) => {
            log.file_error = Some(format!("{}: {}", fe.key, fe.detail));
            let e = Error::invalid("file", fe.key).with_detail(fe.detail.clone());
            return refuse(app, actor, log, fe.key, e);
        }
    };
    log.encoding = parsed.encoding.into();
    let source = match (sub.source, parsed.source) {
        (Some(a), Some(b)) if a != b => {
            let e = Error::invalid("source", "reminders-error-source-mismatch")
                .with_detail(format!("{} / {}", a.name(), b.name()));
            return refuse(app, actor, log, "reminders-error-source-mismatch", e);
        }
        (Some(a), _) | (None, Some(a)) => a,
        (None, None) => {
            let e = Error::invalid("source", "reminders-error-source");
            return refuse(app, actor, log, "reminders-error-source", e);
        }
    };
    log.source = Some(source);
    log.received = (parsed.records.len() + parsed.errors.len()) as u64;
    log.refused = parsed.errors.iter().map(|e| e.line).collect::<BTreeSet<_>>().len() as u64;
    log.errors = parsed.errors.iter().take(LOGGED_ERRORS).cloned().collect();
    let resolve = agency_resolver(app)?;
    let unknown: BTreeSet<&str> = parsed
        .records
        .iter()
        .map(|(_, r)| r.executor_agency.as_str())
        .filter(|a| resolve(a).is_none())
        .collect();
    log.unknown_agencies = unknown.iter().take(100).map(|s| s.to_string()).collect();
    if !parsed.errors.is_empty() && !app.config.reminders.keeps_valid() {
        let first = &parsed.errors[0];
        let detail = parsed
            .errors
            .iter()
            .take(20)
            .map(|e| format!("line {} {}: {}", e.line, e.field, e.key))
            .collect::<Vec<_>>()
            .join("; ");
        let e = Error::invalid(
            &format!("line {} {}", first.line, first.field),
            "reminders-error-batch-refused",
        )
        .with_detail(detail);
        return refuse(app, actor, log, "reminders-error-batch-refused", e);
    }
    log.outcome = if parsed.errors.is_empty() { Outcome::Imported } else { Outcome::Partial };
    let received = log.at.clone();
    let log = app.audit.change(actor, ReminderAction::Import.name(), |txn| {
        let mut log = log;
        log.id = crate::db::next_id(txn, "reminder_import")?;
        for (_, record) in parsed.records {
            if stage(txn, source, &received, log.id, record)? {
                log.accepted += 1;
            } else {
                log.unchanged += 1;
            }
        }
        store::put_import(txn, &log)?;
        let detail = counts(&log);
        Ok((log, Some(detail)))
    })?;
    Ok(log)
}

fn counts(log: &ImportLog) -> serde_json::Value {
    json!({"import": log.id, "source": log.source.map(Source::name), "channel": log.channel,
        "outcome": log.outcome, "received": log.received, "accepted": log.accepted,
        "unchanged": log.unchanged, "refused": log.refused, "bytes": log.bytes})
}

/// Keeps a refused batch in the import log and the access log, then answers the error.
fn refuse(
    app: &App,
    actor: &Actor,
    log: ImportLog,
    reason: &'static str,
    error: Error,
) -> Result<ImportLog> {
    let status = error.code.http_status();
    app.audit.record(actor, ReminderAction::Import.name(), "refused", Some(status), |txn| {
        let mut log = log;
        log.id = crate::db::next_id(txn, "reminder_import")?;
        log.outcome = Outcome::Refused;
        if log.file_error.is_none() && log.errors.is_empty() {
            log.file_error = Some(reason.into());
        }
        store::put_import(txn, &log)?;
        let mut detail = counts(&log);
        detail["reason"] = json!(reason);
        Ok(((), Some(detail)))
    })?;
    Err(error)
}

/// Puts a record among the source's pending versions unless it is what is already known;
/// `true` when it is new or changed.
fn stage(
    txn: &redb::WriteTransaction,
    source: Source,
    received: &str,
    import: u64,
    record: Record,
) -> Result<bool> {
    let pending = store::pending_in(txn, source, &record.record_id)?;
    let known = match &pending {
        Some(p) => p.versions.last().map(|v| v.record.clone()),
        None => match store::id_of(txn, source, &record.record_id)? {
            Some(id) => store::instruction_in(txn, id)?.map(|i| i.record),
            None => None,
        },
    };
    if known.as_ref() == Some(&record) {
        return Ok(false);
    }
    let mut pending = pending.unwrap_or_else(Pending::default);
    pending.versions.push(Version { received: received.into(), import, record });
    store::put_pending(txn, source, &pending)?;
    Ok(true)
}

// ---------------------------------------------------------------------------------------
// Connector accounts

fn hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.trim().as_bytes()).to_vec()
}

/// The connector a bearer token belongs to, as the actor of its request. An unknown or
/// revoked token, or a disabled account, is `unauthenticated` (the pipeline logs it).
pub fn connector_by_token(app: &App, origin: Origin, token: &str) -> Result<Actor> {
    let refused = || Error::new(Code::Unauthenticated).with_detail_key("reminders-token-invalid");
    let record = {
        let txn = app.db.read()?;
        store::token(&txn, &hash(token))?
    };
    let record = record.filter(|t| t.revoked.is_none()).ok_or_else(refused)?;
    let identity = directory::identity(app, record.user_id, false)?.ok_or_else(refused)?;
    if !identity.roles.contains(Role::Connector) {
        return Err(refused());
    }
    Ok(Actor { who: Who::User(identity), origin })
}

/// The connector holding the client certificate of this mutual-TLS connection, as the
/// actor of its request: the certificate must be registered to an active account (as for
/// sign-in with a certificate) that holds the connector role; anything else is
/// `unauthenticated` with its reason in the access log.
pub fn connector_by_certificate(app: &App, origin: Origin, der: &[u8]) -> Result<Actor> {
    let refused = || Error::new(Code::Unauthenticated).with_detail_key("reminders-token-invalid");
    let visitor = Actor { who: Who::System("reminders-connector"), origin: origin.clone() };
    let (user, fingerprint, _) =
        crate::portal::directory::signin::certificate_holder(app, &visitor, Some(der))
            .map_err(|_| refused())?;
    let identity = directory::identity(app, user.id, false)?.ok_or_else(refused)?;
    if !identity.roles.contains(Role::Connector) {
        origin.set_detail(json!({"method": "certificate", "fingerprint": fingerprint,
            "reason": "not_connector"}));
        return Err(refused());
    }
    Ok(Actor { who: Who::User(identity), origin })
}

/// Issues a token to a connector account; the token is shown once and only its hash kept.
pub fn issue_token(app: &App, actor: &Actor, login: &str, label: &str) -> Result<(Token, String)> {
    require(actor, Action::Reminder(ReminderAction::Administer), Object::Appliance)?;
    let user = directory::user_by_login(app, actor, login)?;
    if !user.roles.contains(&Role::Connector) {
        return Err(Error::invalid("login", "reminders-token-not-connector"));
    }
    let secret = crate::secret::token();
    let token = app.audit.change(actor, "reminders.token_issue", |txn| {
        let t = Token {
            id: crate::db::next_id(txn, "reminder_token")?,
            user_id: user.id,
            login: user.login.clone(),
            label: label.chars().take(200).collect(),
            issued: now(),
            revoked: None,
        };
        store::put_token(txn, &hash(&secret), &t)?;
        let detail = json!({"token": t.id, "login": t.login});
        Ok((t, Some(detail)))
    })?;
    Ok((token, secret))
}

pub fn revoke_token(app: &App, actor: &Actor, id: u64) -> Result<Token> {
    require(actor, Action::Reminder(ReminderAction::Administer), Object::Appliance)?;
    app.audit.change(actor, "reminders.token_revoke", |txn| {
        let (key, mut t) = store::tokens_in(txn)?
            .into_iter()
            .find(|(_, t)| t.id == id)
            .ok_or_else(Error::not_found)?;
        if t.revoked.is_none() {
            t.revoked = Some(now());
            store::put_token(txn, &key, &t)?;
        }
        Ok((t, Some(json!({"token": id}))))
    })
}

pub fn tokens(app: &App, actor: &Actor) -> Result<Vec<Token>> {
    require(actor, Action::Reminder(ReminderAction::Administer), Object::Appliance)?;
    let mut out = Vec::new();
    let txn = app.db.read()?;
    for row in redb::ReadableTable::iter(&txn.open_table(store::TOKENS)?)? {
        out.push(serde_json::from_slice::<Token>(row?.1.value())?);
    }
    out.sort_by_key(|t| t.id);
    Ok(out)
}

// ---------------------------------------------------------------------------------------
// The import directory

/// Files still being written (by convention) are left alone.
fn is_candidate(name: &str) -> bool {
    !name.starts_with('.') && !name.ends_with(".part") && !name.ends_with(".tmp")
}

/// Imports every file waiting in `<import_dir>/<source>/`, oldest first; each is moved to
/// `done/` or to `failed/` beside a `.reason.txt` that says why. Nothing is deleted.
pub fn pickup(app: &App) -> Result<usize> {
    let root = app.config.reminders.import_dir(app.config.data_dir());
    let mut count = 0;
    for source in Source::ALL {
        let dir = root.join(source.name());
        for sub in ["", "done", "failed"] {
            std::fs::create_dir_all(dir.join(sub))?;
        }
        let mut files: Vec<(std::time::SystemTime, std::path::PathBuf)> = Vec::new();
        for entry in std::fs::read_dir(&dir)? {
            let entry = entry?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let meta = entry.metadata()?;
            if meta.is_file() && is_candidate(&name) {
                files.push((meta.modified().unwrap_or(std::time::UNIX_EPOCH), entry.path()));
            }
        }
        files.sort();
        for (_, path) in files {
            pickup_file(app, *source, &dir, &path)?;
            count += 1;
        }
    }
    Ok(count)
}

fn pickup_file(app: &App, source: Source, dir: &Path, path: &Path) -> Result<()> {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let actor = Actor::system_job_bypassing_user_policy("reminders-pickup");
    let max = app.config.reminders.max_import_bytes();
    let size = std::fs::metadata(path)?.len();
    // A file over the limit is not read: the import refuses it by its size and logs it.
    let bytes = if size > max { Vec::new() } else { std::fs::read(path)? };
    let submission = Submission {
        source: Some(source),
        bytes: &bytes,
        size,
        channel: "directory",
        file: name.clone(),
    };
    let result = import_checked_by_caller(app, &actor, submission);
    let stamp = crate::clock::now().strftime("%Y%m%dT%H%M%SZ").to_string();
    let target_name = format!("{stamp}-{name}");
    match result {
        Ok(log) => {
            std::fs::rename(path, dir.join("done").join(&target_name))?;
            tracing::info!(file = %name, accepted = log.accepted, unchanged = log.unchanged, "reminders imported from the directory");
        }
        Err(e) => {
            let failed = dir.join("failed");
            std::fs::rename(path, failed.join(&target_name))?;
            let lang = crate::i18n::supported(&app.config.ui.default_language).unwrap_or("ru");
            let mut reason = app.i18n.error_message(lang, &e);
            if let Some(d) = &e.detail {
                reason.push_str("\n\n");
                reason.push_str(&d.replace("; ", "\n"));
            }
            reason.push('\n');
            std::fs::write(failed.join(format!("{target_name}.reason.txt")), reason.as_bytes())?;
            tracing::warn!(file = %name, reason = %reason.trim(), "reminders file refused");
        }
    }
    Ok(())
}
