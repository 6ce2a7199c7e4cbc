//! What people read of meetings: the list (upcoming and past) and a meeting with its agenda,
//! the standing of the agenda's signature (a material changed since signing makes it
//! invalid, named), earlier agenda versions, and what the reader may do.

use std::collections::HashMap;

use serde::Serialize;

use super::model::*;
use super::service::{check, load};
use crate::actor::Actor;
use crate::app::App;
use crate::auth::policy::{Action, MeetingAction, Object, decide};
use crate::error::Result;
use crate::portal::directory::model::User;
use crate::portal::directory::service as directory;
use crate::portal::documents::service as documents;

#[derive(Debug, Clone, Serialize)]
pub struct Person {
    pub id: u64,
    pub login: String,
    pub name: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct MaterialView {
    pub document_id: u64,
    pub version: u32,
    pub title: String,
    pub link: String,
    pub files: usize,
    /// The document has a newer version (or is gone) since the agenda was composed.
    pub changed: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct QuestionView {
    pub n: usize,
    pub title: String,
    pub draft: Option<u64>,
    pub materials: Vec<MaterialView>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SignatureView {
    /// `valid`, or `invalid` when the signature failed or a material changed after signing.
    pub status: &'static str,
    pub signer: Person,
    pub at: String,
    pub at_local: String,
    pub certificate: Option<String>,
    /// The materials changed after signing: `question.material title`.
    pub changed: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct AgendaView {
    pub version: u32,
    pub published: bool,
    pub changes: String,
    pub composed_at: String,
    pub questions: Vec<QuestionView>,
    pub signature: Option<SignatureView>,
}

#[derive(Debug, Clone, Serialize)]
pub struct MeetingSummary {
    pub id: u64,
    pub title: String,
    pub starts_at: String,
    pub starts_local: String,
    pub place: String,
    pub videoconference: bool,
    pub upcoming: bool,
    pub agenda_version: Option<u32>,
    pub members: usize,
    pub answered: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct MeetingView {
    /// The summary's fields but its member count: `members` here is the list of people, and a
    /// JSON object names each key once (RFC 8259 §4).
    #[serde(flatten, serialize_with = "summary_without_count")]
    pub summary: MeetingSummary,
    pub responsible: Person,
    pub members: Vec<Person>,
    pub invited: Vec<Person>,
    /// The agenda the reader sees: the latest published version; for OKDO officers the
    /// latest version, signed or not.
    pub agenda: Option<AgendaView>,
    /// Every version the reader may see, newest first (earlier ones stay readable).
    pub agenda_versions: Vec<AgendaView>,
    /// The item under discussion during the meeting (1-based), if any.
    pub current_item: Option<usize>,
    /// Members' answers: everyone's answer and substitute; reasons for OKDO officers and the
    /// member only.
    pub attendance: super::attendance::Sheet,
    /// The reader's own answer, if a member.
    pub my_answer: Option<&'static str>,
    /// The votes on draft resolutions, each with its poll as the reader sees it.
    pub polls: Vec<ItemPollView>,
    pub minutes: Option<MinutesView>,
    pub actions: Vec<&'static str>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ItemPollView {
    pub question: usize,
    pub question_title: String,
    pub resolution: String,
    pub outcome: Option<String>,
    pub poll: crate::portal::polls::view::PollView,
}

#[derive(Debug, Clone, Serialize)]
pub struct MinutesView {
    pub document_id: u64,
    pub signed: bool,
    pub signed_at_local: Option<String>,
}

pub(super) fn person(users: &HashMap<u64, User>, id: u64, lang: &str) -> Person {
    match users.get(&id) {
        Some(u) => Person { id, login: u.login.clone(), name: u.names().get(lang).to_owned() },
        None => Person { id, login: String::new(), name: format!("#{id}") },
    }
}

pub(super) fn people(app: &App, m: &Meeting) -> Result<HashMap<u64, User>> {
    let mut ids = m.readers();
    ids.extend(m.agenda.iter().map(|v| v.composed_by));
    Ok(directory::users_by_id(app, &ids)?.into_iter().map(|u| (u.id, u)).collect())
}

fn local(utc: &str) -> String {
    crate::clock::parse(utc).map(crate::clock::local_display).unwrap_or_default()
}

fn summary_without_count<S: serde::Serializer>(
    m: &MeetingSummary,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeMap;
    let mut map = serializer.serialize_map(None)?;
    map.serialize_entry("id", &m.id)?;
    map.serialize_entry("title", &m.title)?;
    map.serialize_entry("starts_at", &m.starts_at)?;
    map.serialize_entry("starts_local", &m.starts_local)?;
    map.serialize_entry("place", &m.place)?;
    map.serialize_entry("videoconference", &m.videoconference)?;
    map.serialize_entry("upcoming", &m.upcoming)?;
    map.serialize_entry("agenda_version", &m.agenda_version)?;
    map.serialize_entry("answered", &m.answered)?;
    map.end()
}

fn summary(m: &Meeting, now: &str) -> MeetingSummary {
    MeetingSummary {
        id: m.id,
        title: m.title.clone(),
        starts_at: m.starts_at.clone(),
        starts_local: local(&m.starts_at),
        place: m.place.clone(),
        videoconference: m.videoconference(),
        upcoming: m.starts_at.as_str() > now,
        agenda_version: m.published().map(|v| v.n),
        members: m.members.len(),
        answered: m.members.len() - m.not_answered().len(),
    }
}

/// The current version of each material's document (`None`: gone).
fn current_versions(app: &App, m: &Meeting) -> HashMap<u64, Option<u32>> {
    let mut out = HashMap::new();
    for v in &m.agenda {
        for q in &v.questions {
            for mat in &q.materials {
                out.entry(mat.document_id).or_insert_with(|| {
                    documents::current_content(app, mat.document_id)
                        .ok()
                        .filter(|(d, _)| {
                            d.state == crate::portal::documents::model::DocState::Active
                        })
                        .map(|(d, _)| d.current_version)
                });
            }
        }
    }
    out
}

fn agenda_view(
    v: &AgendaVersion,
    current: &HashMap<u64, Option<u32>>,
    users: &HashMap<u64, User>,
    lang: &str,
) -> AgendaView {
    let mut changed_names = Vec::new();
    let questions = v
        .questions
        .iter()
        .enumerate()
        .map(|(i, q)| QuestionView {
            n: i + 1,
            title: q.title.clone(),
            draft: q.draft,
            materials: q
                .materials
                .iter()
                .enumerate()
                .map(|(j, mat)| {
                    let changed =
                        current.get(&mat.document_id).copied().flatten() != Some(mat.version);
                    if changed {
                        changed_names.push(format!("{}.{} {}", i + 1, j + 1, mat.title));
                    }
                    MaterialView {
                        document_id: mat.document_id,
                        version: mat.version,
                        title: mat.title.clone(),
                        link: format!("/documents/{}?version={}", mat.document_id, mat.version),
                        files: mat.manifest.files.len(),
                        changed,
                    }
                })
                .collect(),
        })
        .collect();
    let signature = v.signature.as_ref().map(|s| {
        let valid = s.verdict.report().is_some() && changed_names.is_empty();
        SignatureView {
            status: if valid { "valid" } else { "invalid" },
            signer: person(users, s.by, lang),
            at: s.at.clone(),
            at_local: local(&s.at),
            certificate: s.verdict.report().map(|r| r.signer.subject.clone()),
            changed: changed_names.clone(),
        }
    });
    AgendaView {
        version: v.n,
        published: v.is_published(),
        changes: v.changes.clone(),
        composed_at: v.composed_at.clone(),
        questions,
        signature,
    }
}

fn may(actor: &Actor, action: MeetingAction, m: &Meeting) -> bool {
    let readers = m.readers();
    let object =
        Object::Meeting { responsible: m.responsible, members: &m.members, readers: &readers };
    decide(actor, Action::Meeting(action), object)
}

/// The meetings the person may read: upcoming first (soonest first), then past (latest
/// first).
pub fn list(app: &App, actor: &Actor) -> Result<Vec<MeetingSummary>> {
    actor.origin.set_operation(MeetingAction::Read.name());
    let all = {
        let txn = app.db.read()?;
        super::store::all(&txn)?
    };
    let now = super::service::now();
    let mut out: Vec<MeetingSummary> = all
        .iter()
        .filter(|m| may(actor, MeetingAction::Read, m))
        .filter(|m| m.published().is_some() || may(actor, MeetingAction::Manage, m))
        .map(|m| summary(m, &now))
        .collect();
    out.sort_by(|a, b| {
        b.upcoming.cmp(&a.upcoming).then_with(|| {
            if a.upcoming { a.starts_at.cmp(&b.starts_at) } else { b.starts_at.cmp(&a.starts_at) }
        })
    });
    Ok(out)
}

/// One meeting for a reader.
pub fn view(app: &App, actor: &Actor, id: u64, lang: &str) -> Result<MeetingView> {
    let m = load(app, id)?;
    check(actor, MeetingAction::Read, &m)?;
    build(app, actor, &m, lang)
}

pub(super) fn build(app: &App, actor: &Actor, m: &Meeting, lang: &str) -> Result<MeetingView> {
    let now = super::service::now();
    let users = people(app, m)?;
    let manager = may(actor, MeetingAction::Manage, m);
    let current = current_versions(app, m);
    let visible: Vec<&AgendaVersion> =
        m.agenda.iter().filter(|v| manager || v.is_published()).collect();
    let agenda_versions: Vec<AgendaView> =
        visible.iter().rev().map(|v| agenda_view(v, &current, &users, lang)).collect();
    let upcoming = m.starts_at.as_str() > now.as_str();
    let me = actor.user_id().unwrap_or(0);
    let signer = may(actor, MeetingAction::Sign, m);
    let mut actions = Vec::new();
    if manager && upcoming {
        actions.push("compose");
    }
    if signer && m.unsigned().is_ok() {
        actions.push("sign");
    }
    if may(actor, MeetingAction::Answer, m) && upcoming && m.published().is_some() {
        actions.push("answer");
    }
    if manager && upcoming && m.published().is_some() && !m.not_answered().is_empty() {
        actions.push("remind");
    }
    if manager && !upcoming && m.published().is_some() {
        actions.push("current");
        actions.push("open_vote");
        if m.minutes.is_none() {
            actions.push("minutes");
        }
    }
    if signer && m.minutes.as_ref().is_some_and(|x| x.signed.is_none()) {
        actions.push("sign_minutes");
    }
    let titles: Vec<String> = m
        .published()
        .map(|v| v.questions.iter().map(|q| q.title.clone()).collect())
        .unwrap_or_default();
    let mut polls = Vec::new();
    for p in &m.polls {
        let poll = crate::portal::polls::service::get(app, p.poll)?;
        polls.push(ItemPollView {
            question: p.question,
            question_title: titles.get(p.question - 1).cloned().unwrap_or_default(),
            resolution: p.resolution.clone(),
            outcome: p.outcome.clone(),
            poll: crate::portal::polls::view::view_within_subject(app, actor, &poll, lang)?,
        });
    }
    Ok(MeetingView {
        summary: summary(m, &now),
        responsible: person(&users, m.responsible, lang),
        members: m.members.iter().map(|id| person(&users, *id, lang)).collect(),
        invited: m.invited.iter().map(|id| person(&users, *id, lang)).collect(),
        agenda: agenda_versions.first().cloned(),
        agenda_versions,
        current_item: m.current_item,
        attendance: super::attendance::sheet_of(app, actor, m, lang, manager)?,
        my_answer: m.answer_of(me).map(|a| a.answer.name()),
        polls,
        minutes: m.minutes.as_ref().map(|x| MinutesView {
            document_id: x.document_id,
            signed: x.signed.is_some(),
            signed_at_local: x.signed.as_ref().map(|s| local(&s.1)),
        }),
        actions,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The detailed view writes every field of the summary but its count, so a field added
    /// to the summary cannot silently go missing there.
    #[test]
    fn the_detail_carries_every_summary_field_but_the_member_count() {
        let s = MeetingSummary {
            id: 1,
            title: "T".into(),
            starts_at: "2026-12-08T05:00:00Z".into(),
            starts_local: "08.12.2026 10:00".into(),
            place: "P".into(),
            videoconference: true,
            upcoming: true,
            agenda_version: Some(2),
            members: 3,
            answered: 1,
        };
        let mut whole = serde_json::to_value(&s).unwrap();
        whole.as_object_mut().unwrap().remove("members");
        let detail = summary_without_count(&s, serde_json::value::Serializer).unwrap();
        assert_eq!(detail, whole);
    }
}
