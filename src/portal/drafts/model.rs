//! Approval of draft legal acts across agencies (I385 §12–§25) as a state machine without
//! I/O. The service checks who may act and supplies verified signatures; this module decides
//! whether an action is possible in the current state and what state follows.
//!
//! ```text
//!  posted ─(developer head signs §14)─> on approval ─(every approving head signed §19)─> at Chancellery
//!     ▲                                     │  register letter, working group (§16)       │
//!     └──── revised version (§18) ──────────┤  approve with signature / reject (§16)      │ OKDO (§20)
//!     ▲                                     │  disagreement protocol, both sides sign §17 ├─ rejects ─> returned
//!     └──────────── revised version ─────────────────────────────────────────────────────┘
//!                                                                                         └─ accepts ─> for decision
//!  for decision: minutes of the Government meeting (§21) or absentee vote (§22–§24, a poll
//!  of the voting engine) ─> Accepted | Rejected (§25)
//! ```

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// The version waits for the developer head's signature (§14).
    AwaitingDeveloperSignature,
    /// The cover letter went out; approving agencies work on it (§15–§18).
    OnApproval,
    /// Every approving head signed; OKDO checks it (§19–§20).
    AtChancellery,
    /// OKDO returned it with a reason (§20); the developer revises.
    ReturnedByChancellery,
    /// Accepted for the Government's decision: a meeting (§21) or an absentee vote (§22).
    ForDecision,
    /// Absentee voting is open (§22–§24).
    Voting,
    Accepted,
    Rejected,
}

impl Stage {
    pub const ALL: &'static [Stage] = &[
        Stage::AwaitingDeveloperSignature,
        Stage::OnApproval,
        Stage::AtChancellery,
        Stage::ReturnedByChancellery,
        Stage::ForDecision,
        Stage::Voting,
        Stage::Accepted,
        Stage::Rejected,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Stage::AwaitingDeveloperSignature => "awaiting_developer_signature",
            Stage::OnApproval => "on_approval",
            Stage::AtChancellery => "at_chancellery",
            Stage::ReturnedByChancellery => "returned_by_chancellery",
            Stage::ForDecision => "for_decision",
            Stage::Voting => "voting",
            Stage::Accepted => "accepted",
            Stage::Rejected => "rejected",
        }
    }

    pub fn is_final(self) -> bool {
        matches!(self, Stage::Accepted | Stage::Rejected)
    }
}

/// A verified signature kept with a document version (issue 5), as the draft refers to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedBy {
    pub user_id: u64,
    pub at: String,
    pub signature_id: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "decision", rename_all = "snake_case")]
pub enum Decision {
    Pending,
    Approved { signed: SignedBy },
    Rejected { user_id: u64, at: String, reason: String },
}

/// One approving agency's work on one version (§16).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Approval {
    pub agency_id: u64,
    /// The cover letter registered in the agency's own office (number, by, when).
    pub registered: Option<(String, u64, String)>,
    pub working_group: Option<u64>,
    pub decision: Decision,
}

/// A disagreement protocol (§17): a document attached to a version, signed by both sides.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Protocol {
    pub id: u64,
    pub version: u32,
    pub agency_id: u64,
    pub document_id: u64,
    pub developer: Option<SignedBy>,
    pub approver: Option<SignedBy>,
}

impl Protocol {
    pub fn signed_by_both(&self) -> bool {
        self.developer.is_some() && self.approver.is_some()
    }
}

/// One line of the draft's timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    pub at: String,
    pub user_id: u64,
    pub kind: String,
    pub version: u32,
    #[serde(default)]
    pub agency_id: Option<u64>,
    #[serde(default)]
    pub note: String,
}

/// The state of one draft legal act.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Draft {
    pub id: u64,
    /// The document holding the draft's versions, files and signatures.
    pub document_id: u64,
    pub developer_agency: u64,
    pub approving_agencies: Vec<u64>,
    pub stage: Stage,
    /// When the current stage began (for deadlines).
    pub stage_since: String,
    pub version: u32,
    pub developer_signature: Option<SignedBy>,
    /// The cover letter (§15), a document in the portal.
    pub cover_letter: Option<u64>,
    pub approvals: Vec<Approval>,
    pub protocols: Vec<Protocol>,
    pub chancellery: Option<(bool, u64, String, String)>,
    pub minutes: Option<u64>,
    /// The absentee vote (§22–§24): a poll of the voting engine, subject `draft:<id>`.
    #[serde(default)]
    pub poll: Option<u64>,
    /// The heads called to it (they may read the draft).
    #[serde(default)]
    pub voters: Vec<u64>,
    /// A vote stored inside the draft by earlier versions; moved onto the voting engine
    /// when the database is opened (see `vote::move_legacy_votes`).
    #[serde(default, rename = "vote", skip_serializing_if = "Option::is_none")]
    pub legacy_vote: Option<serde_json::Value>,
    pub final_reason: String,
    pub timeline: Vec<Event>,
    pub created: String,
}

/// Why an action is not possible now (each maps to a translated explanation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    WrongStage,
    NotAnApprovingAgency,
    AlreadyDecided,
    LetterNotRegistered,
    VersionMismatch,
    NotAVoter,
    ProtocolUnknown,
    ProtocolSideSigned,
    ReasonRequired,
    ApprovingAgenciesRequired,
}

impl Refusal {
    pub fn key(self) -> &'static str {
        match self {
            Refusal::WrongStage => "draft-wrong-stage",
            Refusal::NotAnApprovingAgency => "draft-not-approving-agency",
            Refusal::AlreadyDecided => "draft-already-decided",
            Refusal::LetterNotRegistered => "draft-letter-not-registered",
            Refusal::VersionMismatch => "draft-version-mismatch",
            Refusal::NotAVoter => "draft-not-a-voter",
            Refusal::ProtocolUnknown => "draft-protocol-unknown",
            Refusal::ProtocolSideSigned => "draft-protocol-side-signed",
            Refusal::ReasonRequired => "draft-reason-required",
            Refusal::ApprovingAgenciesRequired => "draft-approvers-required",
        }
    }
}

pub type Step = Result<(), Refusal>;

impl Draft {
    pub fn new(
        id: u64,
        document_id: u64,
        developer: u64,
        approvers: Vec<u64>,
        user: u64,
        now: &str,
    ) -> Result<Draft, Refusal> {
        let mut approvers: Vec<u64> = approvers.into_iter().filter(|a| *a != developer).collect();
        approvers.sort_unstable();
        approvers.dedup();
        if approvers.is_empty() {
            return Err(Refusal::ApprovingAgenciesRequired);
        }
        let mut draft = Draft {
            id,
            document_id,
            developer_agency: developer,
            approvals: Vec::new(),
            approving_agencies: approvers,
            stage: Stage::AwaitingDeveloperSignature,
            stage_since: now.to_owned(),
            version: 1,
            developer_signature: None,
            cover_letter: None,
            protocols: Vec::new(),
            chancellery: None,
            minutes: None,
            poll: None,
            voters: Vec::new(),
            legacy_vote: None,
            final_reason: String::new(),
            timeline: Vec::new(),
            created: now.to_owned(),
        };
        draft.reset_approvals();
        draft.log(now, user, "posted", None, "");
        Ok(draft)
    }

    fn reset_approvals(&mut self) {
        self.approvals = self
            .approving_agencies
            .iter()
            .map(|a| Approval {
                agency_id: *a,
                registered: None,
                working_group: None,
                decision: Decision::Pending,
            })
            .collect();
    }

    fn log(&mut self, now: &str, user: u64, kind: &str, agency: Option<u64>, note: &str) {
        self.timeline.push(Event {
            at: now.to_owned(),
            user_id: user,
            kind: kind.to_owned(),
            version: self.version,
            agency_id: agency,
            note: note.to_owned(),
        });
    }

    fn enter(&mut self, stage: Stage, now: &str) {
        self.stage = stage;
        self.stage_since = now.to_owned();
    }

    fn expect(&self, stage: Stage) -> Step {
        if self.stage == stage { Ok(()) } else { Err(Refusal::WrongStage) }
    }

    fn approval_mut(&mut self, agency: u64) -> Result<&mut Approval, Refusal> {
        self.approvals
            .iter_mut()
            .find(|a| a.agency_id == agency)
            .ok_or(Refusal::NotAnApprovingAgency)
    }

    pub fn approval(&self, agency: u64) -> Option<&Approval> {
        self.approvals.iter().find(|a| a.agency_id == agency)
    }

    /// §14–§15: the developer head signed this version; the cover letter goes out.
    pub fn developer_signed(
        &mut self,
        version: u32,
        signed: SignedBy,
        cover_letter: u64,
        now: &str,
    ) -> Step {
        self.expect(Stage::AwaitingDeveloperSignature)?;
        if version != self.version {
            return Err(Refusal::VersionMismatch);
        }
        let user = signed.user_id;
        self.developer_signature = Some(signed);
        self.cover_letter = Some(cover_letter);
        self.enter(Stage::OnApproval, now);
        self.log(now, user, "developer_signed", Some(self.developer_agency), "");
        Ok(())
    }

    /// §16: the approving agency registered the cover letter in its office.
    pub fn register_letter(&mut self, agency: u64, number: &str, user: u64, now: &str) -> Step {
        self.expect(Stage::OnApproval)?;
        let a = self.approval_mut(agency)?;
        a.registered = Some((number.to_owned(), user, now.to_owned()));
        self.log(now, user, "letter_registered", Some(agency), number);
        Ok(())
    }

    /// §16: the head's resolution names a working group.
    pub fn name_working_group(&mut self, agency: u64, group: u64, user: u64, now: &str) -> Step {
        self.expect(Stage::OnApproval)?;
        let a = self.approval_mut(agency)?;
        if a.registered.is_none() {
            return Err(Refusal::LetterNotRegistered);
        }
        a.working_group = Some(group);
        self.log(now, user, "working_group", Some(agency), &group.to_string());
        Ok(())
    }

    fn decide(&mut self, agency: u64, decision: Decision) -> Step {
        self.expect(Stage::OnApproval)?;
        let a = self.approval_mut(agency)?;
        if a.registered.is_none() {
            return Err(Refusal::LetterNotRegistered);
        }
        if a.decision != Decision::Pending {
            return Err(Refusal::AlreadyDecided);
        }
        a.decision = decision;
        Ok(())
    }

    /// §16, §19: the approving head approves with a signature; when the last one does and
    /// every disagreement protocol of the version is signed by both sides, the draft goes
    /// to the Chancellery.
    pub fn approve(&mut self, agency: u64, version: u32, signed: SignedBy, now: &str) -> Step {
        if version != self.version {
            return Err(Refusal::VersionMismatch);
        }
        let user = signed.user_id;
        self.decide(agency, Decision::Approved { signed })?;
        self.log(now, user, "approved", Some(agency), "");
        self.maybe_to_chancellery(now);
        Ok(())
    }

    /// §16: rejection with a reasoned answer; the developer must revise (§18).
    pub fn reject(&mut self, agency: u64, reason: &str, user: u64, now: &str) -> Step {
        if reason.trim().chars().count() < 5 {
            return Err(Refusal::ReasonRequired);
        }
        self.decide(
            agency,
            Decision::Rejected { user_id: user, at: now.to_owned(), reason: reason.to_owned() },
        )?;
        self.log(now, user, "rejected", Some(agency), reason);
        Ok(())
    }

    fn maybe_to_chancellery(&mut self, now: &str) {
        let all_approved =
            self.approvals.iter().all(|a| matches!(a.decision, Decision::Approved { .. }));
        let protocols_signed = self
            .protocols
            .iter()
            .filter(|p| p.version == self.version)
            .all(Protocol::signed_by_both);
        if self.stage == Stage::OnApproval && all_approved && protocols_signed {
            self.enter(Stage::AtChancellery, now);
            self.log(now, 0, "sent_to_chancellery", None, "");
        }
    }

    /// §17: a disagreement protocol attached to the current version.
    pub fn attach_protocol(
        &mut self,
        id: u64,
        agency: u64,
        document_id: u64,
        user: u64,
        now: &str,
    ) -> Step {
        self.expect(Stage::OnApproval)?;
        if !self.approving_agencies.contains(&agency) {
            return Err(Refusal::NotAnApprovingAgency);
        }
        self.protocols.push(Protocol {
            id,
            version: self.version,
            agency_id: agency,
            document_id,
            developer: None,
            approver: None,
        });
        self.log(now, user, "protocol_attached", Some(agency), &document_id.to_string());
        Ok(())
    }

    /// §17: one side signs the protocol (`developer_side` or the approving agency's side).
    pub fn sign_protocol(
        &mut self,
        id: u64,
        developer_side: bool,
        signed: SignedBy,
        now: &str,
    ) -> Step {
        let version = self.version;
        let p = self
            .protocols
            .iter_mut()
            .find(|p| p.id == id && p.version == version)
            .ok_or(Refusal::ProtocolUnknown)?;
        let slot = if developer_side { &mut p.developer } else { &mut p.approver };
        if slot.is_some() {
            return Err(Refusal::ProtocolSideSigned);
        }
        let user = signed.user_id;
        let agency = p.agency_id;
        *slot = Some(signed);
        self.log(
            now,
            user,
            if developer_side { "protocol_signed_developer" } else { "protocol_signed_approver" },
            Some(agency),
            "",
        );
        self.maybe_to_chancellery(now);
        Ok(())
    }

    /// §18: a revised version restarts the approvals; earlier signatures stay with their
    /// version (they are kept on the document's versions, not here).
    pub fn revise(&mut self, new_version: u32, user: u64, now: &str) -> Step {
        let rejected =
            self.approvals.iter().any(|a| matches!(a.decision, Decision::Rejected { .. }));
        let open = matches!(
            self.stage,
            Stage::OnApproval | Stage::AwaitingDeveloperSignature | Stage::ReturnedByChancellery
        );
        if !open
            || (self.stage == Stage::OnApproval
                && !rejected
                && !self.protocols.iter().any(|p| p.version == self.version))
        {
            return Err(Refusal::WrongStage);
        }
        if new_version != self.version + 1 {
            return Err(Refusal::VersionMismatch);
        }
        self.version = new_version;
        self.developer_signature = None;
        self.chancellery = None;
        self.reset_approvals();
        self.enter(Stage::AwaitingDeveloperSignature, now);
        self.log(now, user, "revised", Some(self.developer_agency), "");
        Ok(())
    }

    /// §20: OKDO accepts the draft for the Government's decision or returns it.
    pub fn chancellery_check(
        &mut self,
        accepted: bool,
        reason: &str,
        user: u64,
        now: &str,
    ) -> Step {
        self.expect(Stage::AtChancellery)?;
        if !accepted && reason.trim().chars().count() < 5 {
            return Err(Refusal::ReasonRequired);
        }
        self.chancellery = Some((accepted, user, now.to_owned(), reason.to_owned()));
        if accepted {
            self.enter(Stage::ForDecision, now);
            self.log(now, user, "chancellery_accepted", None, "");
        } else {
            self.enter(Stage::ReturnedByChancellery, now);
            self.log(now, user, "chancellery_returned", None, reason);
        }
        Ok(())
    }

    /// §21: the minutes of the Government meeting.
    pub fn post_minutes(&mut self, document_id: u64, user: u64, now: &str) -> Step {
        self.expect(Stage::ForDecision)?;
        self.minutes = Some(document_id);
        self.log(now, user, "minutes_posted", None, &document_id.to_string());
        Ok(())
    }

    /// §22: absentee voting by the listed heads on the current version, as poll `poll`.
    pub fn open_vote(&mut self, poll: u64, heads: Vec<u64>, user: u64, now: &str) -> Step {
        self.expect(Stage::ForDecision)?;
        let mut heads = heads;
        heads.sort_unstable();
        heads.dedup();
        if heads.is_empty() {
            return Err(Refusal::NotAVoter);
        }
        self.poll = Some(poll);
        self.voters = heads;
        self.enter(Stage::Voting, now);
        self.log(now, user, "vote_opened", None, "");
        Ok(())
    }

    /// §24: the vote's poll closed (at its time, or when OKDO set the final status).
    pub fn vote_closed(&mut self, outcome: &str, now: &str) {
        self.log(now, 0, "vote_closed", None, outcome);
    }

    /// §25: OKDO sets the final status after the meeting's minutes or the vote.
    pub fn finish(&mut self, accepted: bool, reason: &str, user: u64, now: &str) -> Step {
        match self.stage {
            Stage::ForDecision if self.minutes.is_some() => {}
            Stage::Voting => {}
            _ => return Err(Refusal::WrongStage),
        }
        self.final_reason = reason.to_owned();
        self.enter(if accepted { Stage::Accepted } else { Stage::Rejected }, now);
        self.log(now, user, if accepted { "accepted" } else { "rejected_final" }, None, reason);
        Ok(())
    }

    /// Who must act now: the agencies whose work is pending (for deadlines and inboxes).
    pub fn waiting_on(&self) -> Vec<u64> {
        match self.stage {
            Stage::AwaitingDeveloperSignature | Stage::ReturnedByChancellery => {
                vec![self.developer_agency]
            }
            Stage::OnApproval => {
                let rejected =
                    self.approvals.iter().any(|a| matches!(a.decision, Decision::Rejected { .. }));
                let mut out: Vec<u64> = self
                    .approvals
                    .iter()
                    .filter(|a| a.decision == Decision::Pending)
                    .map(|a| a.agency_id)
                    .collect();
                if rejected {
                    out.push(self.developer_agency);
                }
                out
            }
            _ => Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: &str = "2026-11-22T10:00:00.000000Z";

    fn sig(user: u64, id: u64) -> SignedBy {
        SignedBy { user_id: user, at: T.into(), signature_id: id }
    }

    fn draft() -> Draft {
        Draft::new(1, 10, 100, vec![200, 300, 100, 300], 1, T).unwrap()
    }

    #[test]
    fn the_main_path_reaches_accepted_by_absentee_vote() {
        let mut d = draft();
        assert_eq!(d.approving_agencies, vec![200, 300], "the developer is not its own approver");
        assert_eq!(d.approve(200, 1, sig(2, 1), T), Err(Refusal::WrongStage), "nothing before §14");
        d.developer_signed(1, sig(1, 1), 77, T).unwrap();
        assert_eq!(d.stage, Stage::OnApproval);
        assert_eq!(d.approve(200, 1, sig(2, 2), T), Err(Refusal::LetterNotRegistered));
        for (agency, head) in [(200, 2), (300, 3)] {
            d.register_letter(agency, "01-15/123", 9, T).unwrap();
            d.name_working_group(agency, 5, head, T).unwrap();
            d.approve(agency, 1, sig(head, head + 10), T).unwrap();
        }
        assert_eq!(d.stage, Stage::AtChancellery, "§19: every approving head signed");
        d.chancellery_check(true, "", 50, T).unwrap();
        assert_eq!(
            d.finish(true, "", 50, T),
            Err(Refusal::WrongStage),
            "§25 needs minutes or a vote"
        );
        assert_eq!(d.open_vote(7, vec![], 50, T), Err(Refusal::NotAVoter));
        d.open_vote(7, vec![4, 2, 3, 2], 50, T).unwrap();
        assert_eq!((d.stage, d.poll, d.voters.clone()), (Stage::Voting, Some(7), vec![2, 3, 4]));
        assert_eq!(d.open_vote(8, vec![2], 50, T), Err(Refusal::WrongStage), "one vote");
        d.vote_closed("accepted", T);
        d.finish(true, "", 50, T).unwrap();
        assert_eq!(d.stage, Stage::Accepted);
        assert!(d.stage.is_final());
    }

    #[test]
    fn a_rejection_is_revised_and_approvals_restart() {
        let mut d = draft();
        d.developer_signed(1, sig(1, 1), 77, T).unwrap();
        d.register_letter(200, "1", 9, T).unwrap();
        assert_eq!(d.reject(200, "нет", 2, T), Err(Refusal::ReasonRequired));
        d.reject(200, "Противоречит статье 5 Закона", 2, T).unwrap();
        assert_eq!(d.waiting_on(), vec![300, 100]);
        assert_eq!(d.approve(200, 1, sig(2, 3), T), Err(Refusal::AlreadyDecided));
        assert_eq!(d.revise(3, 1, T), Err(Refusal::VersionMismatch));
        d.revise(2, 1, T).unwrap();
        assert_eq!((d.stage, d.version), (Stage::AwaitingDeveloperSignature, 2));
        assert!(
            d.approvals.iter().all(|a| a.decision == Decision::Pending && a.registered.is_none())
        );
        assert_eq!(d.developer_signed(1, sig(1, 4), 78, T), Err(Refusal::VersionMismatch));
        d.developer_signed(2, sig(1, 4), 78, T).unwrap();
        for (agency, head) in [(200, 2), (300, 3)] {
            d.register_letter(agency, "2", 9, T).unwrap();
            d.approve(agency, 2, sig(head, head), T).unwrap();
        }
        assert_eq!(d.stage, Stage::AtChancellery);
    }

    #[test]
    fn a_disagreement_protocol_holds_the_draft_until_both_sides_sign() {
        let mut d = draft();
        d.developer_signed(1, sig(1, 1), 77, T).unwrap();
        d.attach_protocol(5, 300, 900, 1, T).unwrap();
        for (agency, head) in [(200, 2), (300, 3)] {
            d.register_letter(agency, "1", 9, T).unwrap();
            d.approve(agency, 1, sig(head, head), T).unwrap();
        }
        assert_eq!(d.stage, Stage::OnApproval, "the protocol is not signed yet");
        d.sign_protocol(5, true, sig(1, 40), T).unwrap();
        assert_eq!(d.sign_protocol(5, true, sig(1, 41), T), Err(Refusal::ProtocolSideSigned));
        assert_eq!(d.stage, Stage::OnApproval);
        d.sign_protocol(5, false, sig(3, 42), T).unwrap();
        assert_eq!(d.stage, Stage::AtChancellery);
    }

    #[test]
    fn the_chancellery_returns_it_and_the_developer_revises() {
        let mut d = draft();
        d.developer_signed(1, sig(1, 1), 77, T).unwrap();
        for (agency, head) in [(200, 2), (300, 3)] {
            d.register_letter(agency, "1", 9, T).unwrap();
            d.approve(agency, 1, sig(head, head), T).unwrap();
        }
        assert_eq!(d.chancellery_check(false, "", 50, T), Err(Refusal::ReasonRequired));
        d.chancellery_check(false, "Не соблюдены требования юридической техники", 50, T).unwrap();
        assert_eq!(d.stage, Stage::ReturnedByChancellery);
        d.revise(2, 1, T).unwrap();
        assert_eq!(d.stage, Stage::AwaitingDeveloperSignature);
    }

    #[test]
    fn the_meeting_path_and_final_rejection() {
        let mut d = draft();
        d.developer_signed(1, sig(1, 1), 77, T).unwrap();
        for (agency, head) in [(200, 2), (300, 3)] {
            d.register_letter(agency, "1", 9, T).unwrap();
            d.approve(agency, 1, sig(head, head), T).unwrap();
        }
        d.chancellery_check(true, "", 50, T).unwrap();
        d.post_minutes(555, 50, T).unwrap();
        d.finish(false, "Отклонён на заседании Правительства", 50, T).unwrap();
        assert_eq!(d.stage, Stage::Rejected);
        assert_eq!(d.revise(2, 1, T), Err(Refusal::WrongStage), "a final status is final");
    }

    #[test]
    fn a_draft_needs_approving_agencies() {
        assert_eq!(
            Draft::new(1, 1, 100, vec![100], 1, T).unwrap_err(),
            Refusal::ApprovingAgenciesRequired
        );
    }
}
