//! The electronic Government meeting (I385 §38–§47) without I/O: a meeting, the versions of
//! its agenda (questions in order, each with its materials pinned to a document version),
//! the signing manifest of an agenda version, attendance answers and the exact text a member
//! signs to answer.
//!
//! # Agenda manifest, format `IPGO-MEETING-AGENDA 1`
//!
//! One signature by the responsible officer covers the agenda and every material (§40):
//! UTF-8, LF line ends, values escaped as in the document manifest (`sign::manifest::escape`).
//!
//! ```text
//! IPGO-MEETING-AGENDA 1
//! meeting: 5
//! agenda-version: 2
//! title: Заседание Правительства
//! starts: 2026-12-10T05:00:00.000000Z
//! place: videoconference
//! questions: 2
//! question 1: О проекте постановления …
//! question 1 draft: 7
//! question 1 materials: 1
//! material 1.1: document=42 version=3 manifest-sha256=<hex> title=Проект
//! material 1.1 text: sha256=<hex> size=<bytes>
//! material 1.1 file 1: sha256=<hex> size=<bytes> name=proekt.docx
//! question 2: …
//! question 2 materials: 0
//! ```
//!
//! `question N draft` appears only for a question about a draft act. A material names the
//! document version it was pinned to, the sha256 of that version's own signing manifest,
//! and the sha256 and size of its text and of every file.

use std::fmt::Write;

use serde::{Deserialize, Serialize};

use crate::sign::manifest::{Manifest, escape};

const HEADER: &str = "IPGO-MEETING-AGENDA 1";
const ATTENDANCE_HEADER: &str = "IPGO-MEETING-ATTENDANCE 1";

/// A material of a question: a document of the portal, pinned to the version that was
/// current when the agenda version was composed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Material {
    pub document_id: u64,
    pub version: u32,
    pub title: String,
    /// sha256 of the version's own signing manifest (hex).
    pub manifest_sha256: String,
    /// The version's manifest: sha256 and size of its text and of every file.
    pub manifest: Manifest,
}

/// One question of the agenda, in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Question {
    pub title: String,
    /// A draft act at the stage "for decision" this question decides (§21, §46).
    #[serde(default)]
    pub draft: Option<u64>,
    pub materials: Vec<Material>,
}

/// The verified signature over an agenda version's manifest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AgendaSignature {
    pub by: u64,
    pub at: String,
    /// The CMS as received (base64 of the DER).
    pub cms: String,
    pub manifest_sha256: String,
    pub verdict: crate::sign::Verdict,
}

/// One version of the agenda. A version is composed, signed and thereby published; a change
/// after publishing is a new version, and every earlier one stays readable.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AgendaVersion {
    pub n: u32,
    pub questions: Vec<Question>,
    /// What changed against the previous published version, in the officer's words.
    #[serde(default)]
    pub changes: String,
    pub composed_at: String,
    pub composed_by: u64,
    pub signature: Option<AgendaSignature>,
}

impl AgendaVersion {
    pub fn is_published(&self) -> bool {
        self.signature.is_some()
    }
}

/// A member's answer (§42–§44).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Answer {
    Attend,
    Absent,
}

impl Answer {
    pub fn parse(s: &str) -> Option<Answer> {
        match s {
            "attend" => Some(Answer::Attend),
            "absent" => Some(Answer::Absent),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Answer::Attend => "attend",
            Answer::Absent => "absent",
        }
    }
}

/// A signed attendance answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Attendance {
    pub member: u64,
    pub answer: Answer,
    pub reason: String,
    pub substitute: Option<u64>,
    pub agenda_version: u32,
    pub at: String,
    /// The CMS over [`attendance_text`] (base64 of the DER) and its verdict.
    pub cms: String,
    pub verdict: crate::sign::Verdict,
}

/// A Government meeting.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Meeting {
    pub id: u64,
    pub title: String,
    /// UTC, stored form.
    pub starts_at: String,
    /// A room, or empty for a videoconference.
    pub place: String,
    /// Heads of agencies (§38).
    pub members: Vec<u64>,
    /// Invited persons: they read the meeting but do not vote.
    pub invited: Vec<u64>,
    /// The OKDO officer responsible for the meeting: the only one who signs its agenda.
    pub responsible: u64,
    pub created: String,
    pub agenda: Vec<AgendaVersion>,
    #[serde(default)]
    pub attendance: Vec<Attendance>,
    /// Reminders sent to members who had not answered: (when, how many).
    #[serde(default)]
    pub reminders: Vec<(String, usize)>,
    /// The rule of this meeting's votes (§47): `simple`, `two_thirds` or `all`.
    #[serde(default = "simple")]
    pub majority: String,
    /// The share of members (percent) whose ballots make a vote count.
    #[serde(default = "half")]
    pub quorum_percent: u8,
    /// Polls on the questions' draft resolutions (§46), in the order they were opened.
    #[serde(default)]
    pub polls: Vec<ItemPoll>,
    /// The question under discussion (1-based), moved by the secretary (§45).
    #[serde(default)]
    pub current_item: Option<usize>,
    /// The minutes, once generated (a document of the portal).
    #[serde(default)]
    pub minutes: Option<Minutes>,
}

fn simple() -> String {
    "simple".into()
}

fn half() -> u8 {
    50
}

/// A poll of the voting engine on a question's draft resolution.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemPoll {
    /// The question (1-based) in the agenda version published when the poll opened.
    pub question: usize,
    pub agenda_version: u32,
    pub poll: u64,
    pub resolution: String,
    /// `accepted`, `rejected` or `no_quorum` once closed.
    #[serde(default)]
    pub outcome: Option<String>,
}

/// The minutes of the meeting (a `meeting_minutes` document), signed by the officer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Minutes {
    pub document_id: u64,
    pub at: String,
    /// (signer, when, signature id on the document's version 1) once signed.
    #[serde(default)]
    pub signed: Option<(u64, String, u64)>,
}

/// Why a step is refused; each has a stable code and a translated explanation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    NoAgenda,
    AlreadySigned,
    NotResponsible,
    NoQuestions,
    NotMember,
    ReasonRequired,
    SubstituteRequired,
    SubstituteIsMember,
    NotPublished,
    MeetingOver,
    NoSuchQuestion,
    PollExists,
    NotStarted,
    NoPoll,
    MinutesSigned,
    NoMinutes,
}

impl Refusal {
    pub fn key(self) -> &'static str {
        match self {
            Refusal::NoAgenda => "meeting-no-agenda",
            Refusal::AlreadySigned => "meeting-agenda-already-signed",
            Refusal::NotResponsible => "meeting-not-responsible",
            Refusal::NoQuestions => "meeting-no-questions",
            Refusal::NotMember => "meeting-not-member",
            Refusal::ReasonRequired => "meeting-reason-required",
            Refusal::SubstituteRequired => "meeting-substitute-required",
            Refusal::SubstituteIsMember => "meeting-substitute-is-member",
            Refusal::NotPublished => "meeting-agenda-unpublished",
            Refusal::MeetingOver => "meeting-over",
            Refusal::NoSuchQuestion => "meeting-no-such-question",
            Refusal::PollExists => "meeting-poll-exists",
            Refusal::NotStarted => "meeting-not-started",
            Refusal::NoPoll => "meeting-no-poll",
            Refusal::MinutesSigned => "meeting-minutes-signed",
            Refusal::NoMinutes => "meeting-no-minutes",
        }
    }
}

impl Meeting {
    pub fn videoconference(&self) -> bool {
        self.place.trim().is_empty()
    }

    /// The latest version, published or not.
    pub fn latest(&self) -> Option<&AgendaVersion> {
        self.agenda.last()
    }

    /// The latest published (signed) version: what members read.
    pub fn published(&self) -> Option<&AgendaVersion> {
        self.agenda.iter().rev().find(|v| v.is_published())
    }

    /// Everyone who reads the meeting: members, invited, substitutes named by members.
    pub fn readers(&self) -> Vec<u64> {
        let mut out = self.members.clone();
        out.extend(&self.invited);
        out.extend(self.attendance.iter().filter_map(|a| a.substitute));
        out.push(self.responsible);
        out.sort_unstable();
        out.dedup();
        out
    }

    /// Composes the next agenda: an unsigned latest version is replaced, a published one is
    /// followed by a new version. Returns the version's number.
    pub fn compose(
        &mut self,
        questions: Vec<Question>,
        changes: &str,
        by: u64,
        now: &str,
    ) -> Result<u32, Refusal> {
        if questions.is_empty() {
            return Err(Refusal::NoQuestions);
        }
        let n = match self.agenda.last() {
            Some(v) if !v.is_published() => {
                let n = v.n;
                self.agenda.pop();
                n
            }
            Some(v) => v.n + 1,
            None => 1,
        };
        self.agenda.push(AgendaVersion {
            n,
            questions,
            changes: changes.trim().to_owned(),
            composed_at: now.to_owned(),
            composed_by: by,
            signature: None,
        });
        Ok(n)
    }

    /// The version waiting for the responsible officer's signature.
    pub fn unsigned(&self) -> Result<&AgendaVersion, Refusal> {
        match self.agenda.last() {
            None => Err(Refusal::NoAgenda),
            Some(v) if v.is_published() => Err(Refusal::AlreadySigned),
            Some(v) => Ok(v),
        }
    }

    /// Records the signature on the unsigned version, which publishes it (§41).
    pub fn sign(&mut self, signature: AgendaSignature) -> Result<u32, Refusal> {
        if signature.by != self.responsible {
            return Err(Refusal::NotResponsible);
        }
        self.unsigned()?;
        let v = self.agenda.last_mut().ok_or(Refusal::NoAgenda)?;
        v.signature = Some(signature);
        Ok(v.n)
    }

    /// The manifest of agenda version `n`: the exact bytes the officer signs.
    pub fn manifest(&self, n: u32) -> Option<Vec<u8>> {
        let v = self.agenda.iter().find(|v| v.n == n)?;
        let mut out = String::new();
        let _ = writeln!(out, "{HEADER}");
        let _ = writeln!(out, "meeting: {}", self.id);
        let _ = writeln!(out, "agenda-version: {}", v.n);
        let _ = writeln!(out, "title: {}", escape(&self.title));
        let _ = writeln!(out, "starts: {}", self.starts_at);
        let place = if self.videoconference() { "videoconference" } else { &self.place };
        let _ = writeln!(out, "place: {}", escape(place));
        let _ = writeln!(out, "questions: {}", v.questions.len());
        for (i, q) in v.questions.iter().enumerate() {
            let q_n = i + 1;
            let _ = writeln!(out, "question {q_n}: {}", escape(&q.title));
            if let Some(d) = q.draft {
                let _ = writeln!(out, "question {q_n} draft: {d}");
            }
            let _ = writeln!(out, "question {q_n} materials: {}", q.materials.len());
            for (j, m) in q.materials.iter().enumerate() {
                let at = format!("material {q_n}.{}", j + 1);
                let _ = writeln!(
                    out,
                    "{at}: document={} version={} manifest-sha256={} title={}",
                    m.document_id,
                    m.version,
                    m.manifest_sha256,
                    escape(&m.title)
                );
                let t = &m.manifest.text;
                let _ =
                    writeln!(out, "{at} text: sha256={} size={}", hex::encode(t.sha256), t.size);
                for (k, f) in m.manifest.files.iter().enumerate() {
                    let _ = writeln!(
                        out,
                        "{at} file {}: sha256={} size={} name={}",
                        k + 1,
                        hex::encode(f.digest.sha256),
                        f.digest.size,
                        escape(&f.name)
                    );
                }
            }
        }
        Some(out.into_bytes())
    }

    /// The answer of a member, if given.
    pub fn answer_of(&self, member: u64) -> Option<&Attendance> {
        self.attendance.iter().find(|a| a.member == member)
    }

    /// Members who have not answered yet.
    pub fn not_answered(&self) -> Vec<u64> {
        self.members.iter().copied().filter(|m| self.answer_of(*m).is_none()).collect()
    }

    /// Checks an answer before it is signed or recorded (§42–§44).
    pub fn check_answer(
        &self,
        member: u64,
        answer: Answer,
        reason: &str,
        substitute: Option<u64>,
        now: &str,
    ) -> Result<u32, Refusal> {
        if !self.members.contains(&member) {
            return Err(Refusal::NotMember);
        }
        let version = self.published().ok_or(Refusal::NotPublished)?.n;
        if self.starts_at.as_str() <= now {
            return Err(Refusal::MeetingOver);
        }
        if answer == Answer::Absent {
            if reason.trim().is_empty() {
                return Err(Refusal::ReasonRequired);
            }
            match substitute {
                None => return Err(Refusal::SubstituteRequired),
                Some(s) if self.members.contains(&s) => return Err(Refusal::SubstituteIsMember),
                Some(_) => {}
            }
        }
        Ok(version)
    }

    /// Records a checked, verified answer; a later answer replaces an earlier one.
    pub fn record_answer(&mut self, a: Attendance) {
        self.attendance.retain(|x| x.member != a.member);
        self.attendance.push(a);
    }

    /// Who votes in `member`'s place at this meeting, if they named a substitute.
    pub fn substitute_of(&self, member: u64) -> Option<u64> {
        self.answer_of(member).filter(|a| a.answer == Answer::Absent).and_then(|a| a.substitute)
    }
}

/// The exact text a member signs to answer (§42–§44): the meeting, the agenda version, the
/// answer, the reason and the substitute's login. `substitute` is empty when none.
pub fn attendance_text(
    meeting: &Meeting,
    version: u32,
    member_login: &str,
    answer: Answer,
    reason: &str,
    substitute_login: &str,
) -> Vec<u8> {
    let mut out = String::new();
    let _ = writeln!(out, "{ATTENDANCE_HEADER}");
    let _ = writeln!(out, "meeting: {}", meeting.id);
    let _ = writeln!(out, "title: {}", escape(&meeting.title));
    let _ = writeln!(out, "starts: {}", meeting.starts_at);
    let _ = writeln!(out, "agenda-version: {version}");
    let _ = writeln!(out, "member: {}", escape(member_login));
    let _ = writeln!(out, "answer: {}", answer.name());
    let _ = writeln!(out, "reason: {}", escape(reason.trim()));
    let _ = writeln!(out, "substitute: {}", escape(substitute_login));
    out.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sign::Digest;
    use crate::sign::manifest::ManifestFile;

    const T: &str = "2026-12-01T05:00:00.000000Z";

    fn meeting() -> Meeting {
        Meeting {
            id: 5,
            title: "Заседание\nПравительства".into(),
            starts_at: "2026-12-10T05:00:00.000000Z".into(),
            place: String::new(),
            members: vec![1, 2, 3],
            invited: vec![9],
            responsible: 7,
            created: T.into(),
            agenda: Vec::new(),
            attendance: Vec::new(),
            reminders: Vec::new(),
            majority: simple(),
            quorum_percent: half(),
            polls: Vec::new(),
            current_item: None,
            minutes: None,
        }
    }

    fn material() -> Material {
        Material {
            document_id: 42,
            version: 3,
            title: "Проект".into(),
            manifest_sha256: "ab".repeat(32),
            manifest: Manifest {
                document_id: 42,
                version: 3,
                title: "Проект".into(),
                text: Digest::of(b"text"),
                files: vec![ManifestFile { name: "p.docx".into(), digest: Digest::of(b"docx") }],
            },
        }
    }

    fn signature(by: u64) -> AgendaSignature {
        AgendaSignature {
            by,
            at: T.into(),
            cms: String::new(),
            manifest_sha256: String::new(),
            verdict: crate::sign::Verdict::Invalid(crate::sign::Rejection {
                reason: crate::sign::Reason::Malformed,
                detail: String::new(),
                signer: None,
                revoked_at: None,
            }),
        }
    }

    #[test]
    fn the_manifest_names_every_question_and_every_material_file() {
        let mut m = meeting();
        let q = |t: &str, draft, materials| Question { title: t.into(), draft, materials };
        m.compose(
            vec![q("Первый", Some(7), vec![material()]), q("Второй", None, vec![])],
            "",
            7,
            T,
        )
        .unwrap();
        let text = String::from_utf8(m.manifest(1).unwrap()).unwrap();
        let expected = format!(
            "IPGO-MEETING-AGENDA 1\nmeeting: 5\nagenda-version: 1\ntitle: Заседание\\nПравительства\n\
             starts: 2026-12-10T05:00:00.000000Z\nplace: videoconference\nquestions: 2\n\
             question 1: Первый\nquestion 1 draft: 7\nquestion 1 materials: 1\n\
             material 1.1: document=42 version=3 manifest-sha256={} title=Проект\n\
             material 1.1 text: sha256={} size=4\n\
             material 1.1 file 1: sha256={} size=4 name=p.docx\n\
             question 2: Второй\nquestion 2 materials: 0\n",
            "ab".repeat(32),
            hex::encode(Digest::of(b"text").sha256),
            hex::encode(Digest::of(b"docx").sha256),
        );
        assert_eq!(text, expected);
        assert!(m.manifest(2).is_none());
    }

    #[test]
    fn a_change_after_publishing_is_a_new_version_and_the_old_one_stays() {
        let mut m = meeting();
        let q = |t: &str| vec![Question { title: t.into(), draft: None, materials: vec![] }];
        assert_eq!(m.compose(vec![], "", 7, T), Err(Refusal::NoQuestions));
        assert_eq!(m.unsigned().err(), Some(Refusal::NoAgenda));
        assert_eq!(m.compose(q("a"), "", 7, T), Ok(1));
        // Recomposed before signing: still version 1.
        assert_eq!(m.compose(q("b"), "", 7, T), Ok(1));
        assert!(m.published().is_none());
        assert_eq!(m.sign(signature(8)), Err(Refusal::NotResponsible));
        assert_eq!(m.sign(signature(7)), Ok(1));
        assert_eq!(m.sign(signature(7)), Err(Refusal::AlreadySigned));
        assert_eq!(m.compose(q("c"), "вопрос заменён", 7, T), Ok(2));
        assert_eq!(m.published().unwrap().questions[0].title, "b", "members still read v1");
        assert_eq!(m.sign(signature(7)), Ok(2));
        assert_eq!(m.agenda.len(), 2);
        assert_eq!(m.published().unwrap().changes, "вопрос заменён");
    }

    #[test]
    fn attendance_rules() {
        let mut m = meeting();
        let now = T;
        assert_eq!(m.check_answer(1, Answer::Attend, "", None, now), Err(Refusal::NotPublished));
        m.compose(vec![Question { title: "a".into(), draft: None, materials: vec![] }], "", 7, T)
            .unwrap();
        m.sign(signature(7)).unwrap();
        assert_eq!(m.check_answer(1, Answer::Attend, "", None, now), Ok(1));
        assert_eq!(m.check_answer(9, Answer::Attend, "", None, now), Err(Refusal::NotMember));
        assert_eq!(
            m.check_answer(1, Answer::Absent, " ", Some(4), now),
            Err(Refusal::ReasonRequired)
        );
        assert_eq!(
            m.check_answer(1, Answer::Absent, "командировка", None, now),
            Err(Refusal::SubstituteRequired)
        );
        assert_eq!(
            m.check_answer(1, Answer::Absent, "командировка", Some(2), now),
            Err(Refusal::SubstituteIsMember)
        );
        assert_eq!(m.check_answer(1, Answer::Absent, "командировка", Some(4), now), Ok(1));
        let late = "2026-12-10T05:00:00.000000Z";
        assert_eq!(m.check_answer(1, Answer::Attend, "", None, late), Err(Refusal::MeetingOver));
        let answer = |member, answer, substitute| Attendance {
            member,
            answer,
            reason: "r".into(),
            substitute,
            agenda_version: 1,
            at: T.into(),
            cms: String::new(),
            verdict: signature(0).verdict,
        };
        m.record_answer(answer(1, Answer::Absent, Some(4)));
        m.record_answer(answer(2, Answer::Attend, None));
        assert_eq!(m.substitute_of(1), Some(4));
        assert_eq!(m.substitute_of(2), None);
        assert_eq!(m.not_answered(), vec![3]);
        assert!(m.readers().contains(&4), "the substitute reads the meeting");
        m.record_answer(answer(1, Answer::Attend, None));
        assert_eq!((m.substitute_of(1), m.attendance.len()), (None, 2), "a new answer replaces");
        let text = attendance_text(&m, 1, "head.a", Answer::Absent, " болен\n", "dep.a");
        assert_eq!(
            String::from_utf8(text).unwrap(),
            "IPGO-MEETING-ATTENDANCE 1\nmeeting: 5\ntitle: Заседание\\nПравительства\n\
             starts: 2026-12-10T05:00:00.000000Z\nagenda-version: 1\nmember: head.a\n\
             answer: absent\nreason: болен\nsubstitute: dep.a\n"
        );
    }
}
