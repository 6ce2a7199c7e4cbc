//! Government meetings, use cases (I385 §38–§41): create a meeting, compose its agenda with
//! materials pinned to document versions, sign the agenda's manifest (which publishes it and
//! tells the members by inbox and mail), and change it after publishing as a new signed
//! version. Every step: the policy, the model's verdict, then in ONE transaction the meeting,
//! its notices and the access-log entry. Reading is in `view.rs`.

use redb::WriteTransaction;
use serde::Deserialize;
use serde_json::json;
use sha2::Digest as _;

use super::model::*;
use super::store;
use crate::actor::Actor;
use crate::app::App;
use crate::auth::policy::{Action, MeetingAction, Object, require};
use crate::auth::roles::Role;
use crate::error::{Code, Error, Result};
use crate::notify::{self, AfterCommit, Arg, Notice};
use crate::portal::directory::service as directory;
use crate::portal::documents::{service as documents, signatures};
use crate::portal::polls::model::Majority;
use crate::sign::{Manifest, Verdict};

pub(super) fn now() -> String {
    crate::clock::utc_string(crate::clock::now())
}

pub(super) fn refused(r: Refusal) -> Error {
    let error = match r {
        Refusal::NotResponsible | Refusal::NotMember => Error::new(Code::Forbidden),
        Refusal::NoQuestions => Error::new(Code::InvalidInput).with_field("questions"),
        Refusal::ReasonRequired => Error::new(Code::InvalidInput).with_field("reason"),
        Refusal::NoSuchQuestion => Error::new(Code::InvalidInput).with_field("question"),
        Refusal::SubstituteRequired | Refusal::SubstituteIsMember => {
            Error::new(Code::InvalidInput).with_field("substitute")
        }
        _ => Error::new(Code::Conflict),
    };
    error.with_detail_key(r.key())
}

pub(super) fn load(app: &App, id: u64) -> Result<Meeting> {
    let txn = app.db.read()?;
    store::get(&txn, id)?.ok_or_else(Error::not_found)
}

/// Checks `action` on the meeting (readers: members, invited, substitutes, the officer).
pub(super) fn check(actor: &Actor, action: MeetingAction, m: &Meeting) -> Result<()> {
    let readers = m.readers();
    let object =
        Object::Meeting { responsible: m.responsible, members: &m.members, readers: &readers };
    require(actor, Action::Meeting(action), object)
}

pub(super) fn link(id: u64) -> String {
    format!("/meetings/{id}")
}

pub(super) fn notice(key: &'static str, m: &Meeting) -> Notice {
    Notice::new(key, link(m.id), format!("meeting:{}", m.id))
        .arg("title", m.title.clone())
        .arg("starts", Arg::Time(m.starts_at.clone()))
        .arg("place", place_arg(m))
}

fn place_arg(m: &Meeting) -> Arg {
    if m.videoconference() {
        Arg::Message("meeting-videoconference".into())
    } else {
        Arg::from(m.place.clone())
    }
}

/// Enqueues a notice to these accounts in the current transaction.
pub(super) fn tell(
    app: &App,
    txn: &WriteTransaction,
    to: &[u64],
    notice: &Notice,
) -> Result<AfterCommit> {
    notify::enqueue_in(app, txn, &directory::recipients_by_id(app, to)?, notice)
}

/// A step on one meeting: loads it, checks `action`, runs `f` in one transaction with the
/// access-log entry `operation`, and tells the live pages and the mailer after the commit.
pub(super) fn step<T>(
    app: &App,
    actor: &Actor,
    id: u64,
    action: MeetingAction,
    operation: &str,
    f: impl FnOnce(&mut Meeting, &WriteTransaction) -> Result<(T, AfterCommit)>,
) -> Result<T> {
    let before = load(app, id)?;
    check(actor, action, &before)?;
    let (out, after) = app.audit.change(actor, operation, |txn| {
        let mut m = store::get_in(txn, id)?.ok_or_else(Error::not_found)?;
        let (out, after) = f(&mut m, txn)?;
        store::put(txn, &m)?;
        Ok(((out, after), Some(json!({"meeting": id}))))
    })?;
    notify::after_commit(app, after);
    Ok(out)
}

// ---------------------------------------------------------------------------------------
// Creating a meeting (§38)

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct NewMeeting {
    pub title: String,
    /// RFC 3339 (`2026-12-10T10:00:00+05:00`) or Astana local time (`2026-12-10T10:00`).
    pub starts_at: String,
    /// A room; empty for a videoconference.
    pub place: String,
    /// Logins of the members (heads of agencies).
    pub members: Vec<String>,
    /// Logins of invited persons.
    pub invited: Vec<String>,
    /// The rule of the meeting's votes: `simple` (default), `two_thirds`, `all`.
    pub majority: String,
    /// Quorum in percent of the members (default 50).
    pub quorum_percent: Option<u8>,
}

/// A moment given as RFC 3339 or as Astana local time (what `datetime-local` sends).
pub fn parse_time(s: &str) -> Option<jiff::Timestamp> {
    let s = s.trim();
    if let Some(t) = crate::clock::parse(s) {
        return Some(t);
    }
    let local: jiff::civil::DateTime = s.parse().ok()?;
    local.to_zoned(crate::clock::astana()).ok().map(|z| z.timestamp())
}

fn logins(app: &App, field: &str, logins: &[String]) -> Result<Vec<u64>> {
    let logins: Vec<String> =
        logins.iter().map(|l| l.trim().to_owned()).filter(|l| !l.is_empty()).collect();
    let (_, ids) =
        directory::resolve_access_names(app, &[], &logins).map_err(|e| e.with_field(field))?;
    Ok(ids)
}

/// §38: an OKDO officer creates a meeting; they become the officer responsible for it.
pub fn create(app: &App, actor: &Actor, input: NewMeeting) -> Result<u64> {
    require(actor, Action::Meeting(MeetingAction::Create), Object::Appliance)?;
    let me = actor.user_id().ok_or_else(Error::forbidden)?;
    let title = input.title.trim().to_owned();
    if title.is_empty() || title.chars().count() > 500 {
        return Err(Error::invalid("title", "meeting-title-required"));
    }
    let starts = parse_time(&input.starts_at)
        .ok_or_else(|| Error::invalid("starts_at", "meeting-bad-time"))?;
    if starts <= crate::clock::now() {
        return Err(Error::invalid("starts_at", "meeting-time-past"));
    }
    let mut members = logins(app, "members", &input.members)?;
    members.sort_unstable();
    members.dedup();
    if members.is_empty() {
        return Err(Error::invalid("members", "meeting-members-required"));
    }
    let heads: Vec<u64> = directory::holders_of(app, Role::Head)?.iter().map(|u| u.id).collect();
    // The ids are sorted: the login named comes from the directory, not the input's order.
    if let Some(bad) = members.iter().find(|id| !heads.contains(id)) {
        let login = directory::users_by_id(app, &[*bad])?.first().map(|u| u.login.clone());
        return Err(Error::invalid("members", "meeting-member-not-head")
            .with_detail(login.unwrap_or_default()));
    }
    let majority = match input.majority.trim() {
        "" => Majority::Simple,
        m => {
            Majority::parse(m).ok_or_else(|| Error::invalid("majority", "meeting-bad-majority"))?
        }
    };
    if input.quorum_percent.is_some_and(|q| q > 100) {
        return Err(Error::invalid("quorum_percent", "meeting-bad-quorum"));
    }
    let mut invited = logins(app, "invited", &input.invited)?;
    invited.retain(|i| !members.contains(i));
    invited.sort_unstable();
    invited.dedup();
    app.audit.change(actor, "meeting.create", |txn| {
        let id = crate::db::next_id(txn, "meeting")?;
        let m = Meeting {
            id,
            title: title.clone(),
            starts_at: crate::clock::utc_string(starts),
            place: input.place.trim().to_owned(),
            members: members.clone(),
            invited: invited.clone(),
            responsible: me,
            created: now(),
            agenda: Vec::new(),
            attendance: Vec::new(),
            reminders: Vec::new(),
            majority: majority.name().to_owned(),
            quorum_percent: input.quorum_percent.unwrap_or(50),
            polls: Vec::new(),
            current_item: None,
            minutes: None,
        };
        store::put(txn, &m)?;
        Ok((id, Some(json!({"meeting": id}))))
    })
}

// ---------------------------------------------------------------------------------------
// The agenda (§39–§41)

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct NewQuestion {
    pub title: String,
    /// A draft act at the stage "for decision"; its document joins the materials.
    pub draft: Option<u64>,
    /// Documents of the portal (their current versions are pinned).
    pub materials: Vec<u64>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct NewAgenda {
    pub questions: Vec<NewQuestion>,
    /// What changed, for members told of a new version after publishing.
    pub changes: String,
}

/// A document's current version as a material, read as the officer.
fn material(app: &App, actor: &Actor, doc: u64) -> Result<Material> {
    let view = documents::get(app, actor, doc, "ru")?;
    let n = view.current_version;
    let bytes = signatures::manifest(app, actor, doc, n)?;
    let manifest = Manifest::parse(&bytes).map_err(Error::internal)?;
    Ok(Material {
        document_id: doc,
        version: n,
        title: view.current().content.title.clone(),
        manifest_sha256: hex::encode(sha2::Sha256::digest(&bytes)),
        manifest,
    })
}

/// §39–§40: the officer composes the agenda (questions in order with their materials). Before
/// signing it replaces the unsigned version; after publishing it starts a new version.
pub fn compose(app: &App, actor: &Actor, id: u64, input: NewAgenda) -> Result<u32> {
    let questions = questions_of(app, actor, id, &input)?;
    let me = actor.user_id().ok_or_else(Error::forbidden)?;
    let changes = input.changes.chars().take(4000).collect::<String>();
    step(app, actor, id, MeetingAction::Manage, "meeting.agenda", |m, _| {
        let n = m.compose(questions, &changes, me, &now()).map_err(refused)?;
        Ok((n, AfterCommit::default()))
    })
}

/// The agenda's questions with their materials pinned, checked as the officer composing
/// it (the right to manage the meeting, each title, draft and material) without changing
/// anything: `compose` runs it, and a new file is posted only once it has passed.
pub(super) fn questions_of(
    app: &App,
    actor: &Actor,
    id: u64,
    input: &NewAgenda,
) -> Result<Vec<Question>> {
    let m = load(app, id)?;
    check(actor, MeetingAction::Manage, &m)?;
    let mut questions = Vec::new();
    for (i, q) in input.questions.iter().enumerate() {
        let title = q.title.trim();
        if title.is_empty() || title.chars().count() > 1000 {
            return Err(Error::invalid(&format!("questions[{i}].title"), "meeting-question-title"));
        }
        let mut docs = Vec::new();
        if let Some(d) = q.draft {
            let field = format!("questions[{i}].draft");
            let draft = crate::portal::drafts::view::view(app, actor, d, "ru")
                .map_err(|e| unknown(e, &field, "meeting-draft-unknown", d))?;
            if draft.stage != "for_decision" {
                return Err(Error::invalid(
                    &format!("questions[{i}].draft"),
                    "meeting-draft-not-for-decision",
                ));
            }
            docs.push(draft.document_id);
        }
        docs.extend(&q.materials);
        let mut materials = Vec::new();
        for (j, doc) in docs.into_iter().enumerate() {
            if materials.iter().any(|m: &Material| m.document_id == doc) {
                continue;
            }
            let field = format!("questions[{i}].materials[{j}]");
            materials.push(
                material(app, actor, doc)
                    .map_err(|e| unknown(e, &field, "meeting-material-unknown", doc))?,
            );
        }
        questions.push(Question { title: title.to_owned(), draft: q.draft, materials });
    }
    Ok(questions)
}

/// A number in the agenda that names nothing the officer may read is a mistake in what was
/// typed (the form comes back), told alike for "none" and "not yours" (nothing revealed).
fn unknown(e: Error, field: &str, key: &'static str, id: u64) -> Error {
    match e.code {
        Code::NotFound | Code::Forbidden | Code::Gone => {
            Error::invalid(field, key).with_arg("id", id).with_detail(id.to_string())
        }
        _ => e.with_field(field),
    }
}

/// `GET …/agenda/manifest`: the exact bytes the responsible officer signs.
pub fn manifest(app: &App, actor: &Actor, id: u64) -> Result<Vec<u8>> {
    let m = load(app, id)?;
    check(actor, MeetingAction::Manage, &m)?;
    actor.origin.set_operation("meeting.agenda_manifest");
    let v = m.unsigned().map_err(refused)?;
    m.manifest(v.n).ok_or_else(Error::not_found)
}

/// §40–§41: the responsible officer signs the agenda and its materials; the version is
/// published and the members (and invited persons) are told by inbox and mail — of the
/// agenda, or of what changed when it follows an earlier version.
pub fn sign(app: &App, actor: &Actor, id: u64, cms: &[u8]) -> Result<u32> {
    let m = load(app, id)?;
    check(actor, MeetingAction::Sign, &m)?;
    let me = actor.user_id().ok_or_else(Error::forbidden)?;
    let v = m.unsigned().map_err(refused)?;
    let manifest = m.manifest(v.n).ok_or_else(Error::not_found)?;
    let verdict = crate::sign::service::verify_for_user(app, Some(me), &manifest, cms)?;
    if let Verdict::Invalid(r) = verdict {
        actor.origin.set_detail(json!({"meeting": id, "reason": r.reason.name()}));
        return Err(r.into());
    }
    let der = crate::sign::cms::decode_input(cms).map_err(Error::from)?;
    let signed_n = v.n;
    step(app, actor, id, MeetingAction::Sign, "meeting.sign_agenda", |m, txn| {
        // The agenda may have been recomposed since the manifest was read.
        if m.unsigned().map_err(refused)?.n != signed_n
            || m.manifest(signed_n) != Some(manifest.clone())
        {
            return Err(Error::new(Code::Conflict).with_detail_key("meeting-agenda-changed"));
        }
        let signature = AgendaSignature {
            by: me,
            at: now(),
            cms: crate::sign::store::b64(&der),
            manifest_sha256: hex::encode(sha2::Sha256::digest(&manifest)),
            verdict: verdict.clone(),
        };
        let n = m.sign(signature).map_err(refused)?;
        let mut to = m.members.clone();
        to.extend(&m.invited);
        to.extend(m.attendance.iter().filter_map(|a| a.substitute));
        let published = m.agenda.last().cloned();
        let notice = match published.filter(|_| n > 1) {
            Some(v) => notice("meeting-agenda-changed", m)
                .arg("version", n as u64)
                .arg("changes", if v.changes.is_empty() { "—".to_owned() } else { v.changes }),
            None => notice("meeting-agenda-published", m),
        };
        let after = tell(app, txn, &to, &notice)?;
        Ok((n, after))
    })
}
