//! Helpdesk requests (I617 §13–§16) as records and a state machine without I/O.
//!
//! ```text
//!  new ──(routed or assigned)──> assigned ──> in progress ──> resolved ──> closed
//!                                              │    ▲            │  ▲         │
//!                                              ▼    │            │  │         │
//!                                      waiting for the applicant │  └─ reopened within the period
//!                                                                 └──────────── (back to in progress)
//! ```
//!
//! A status change that skips a state (new → resolved) is refused. Every change is kept in
//! the ticket's history with its moment and author: the targets are counted from that
//! history (`sla.rs`), so nothing about elapsed or paused time is stored that could drift.

use serde::{Deserialize, Serialize};

/// What the request is about; routing rules match on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    /// Signing in, passwords, accounts.
    SignIn,
    /// Posting, reading, finding documents.
    Documents,
    /// Digital signatures, certificates, NCALayer.
    Signatures,
    /// Draft acts, plans, meetings, reminders and other workflows.
    Workflows,
    /// Notices and e-mail.
    Mail,
    /// Slowness, unavailability, errors of the portal.
    Availability,
    /// Workstations and the network of the agency (I617 §18, appendix).
    Workstation,
    Other,
}

impl Category {
    pub const ALL: &'static [Category] = &[
        Category::SignIn,
        Category::Documents,
        Category::Signatures,
        Category::Workflows,
        Category::Mail,
        Category::Availability,
        Category::Workstation,
        Category::Other,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Category::SignIn => "sign_in",
            Category::Documents => "documents",
            Category::Signatures => "signatures",
            Category::Workflows => "workflows",
            Category::Mail => "mail",
            Category::Availability => "availability",
            Category::Workstation => "workstation",
            Category::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<Category> {
        Category::ALL.iter().copied().find(|c| c.name() == s.trim())
    }

    pub fn message_key(self) -> String {
        format!("helpdesk-category-{}", self.name().replace('_', "-"))
    }
}

/// How urgent the applicant says it is; decides the targets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Urgency {
    Low,
    Normal,
    High,
    /// The portal or a whole agency cannot work.
    Critical,
}

impl Urgency {
    pub const ALL: &'static [Urgency] =
        &[Urgency::Critical, Urgency::High, Urgency::Normal, Urgency::Low];

    pub fn name(self) -> &'static str {
        match self {
            Urgency::Low => "low",
            Urgency::Normal => "normal",
            Urgency::High => "high",
            Urgency::Critical => "critical",
        }
    }

    pub fn parse(s: &str) -> Option<Urgency> {
        Urgency::ALL.iter().copied().find(|u| u.name() == s.trim())
    }

    pub fn message_key(self) -> String {
        format!("helpdesk-urgency-{}", self.name())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Registered, not yet with anyone (no routing rule matched).
    New,
    /// With an administrator or a team.
    Assigned,
    InProgress,
    /// Waiting for the applicant's answer: the clock stops.
    Waiting,
    Resolved,
    Closed,
}

impl Status {
    pub const ALL: &'static [Status] = &[
        Status::New,
        Status::Assigned,
        Status::InProgress,
        Status::Waiting,
        Status::Resolved,
        Status::Closed,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Status::New => "new",
            Status::Assigned => "assigned",
            Status::InProgress => "in_progress",
            Status::Waiting => "waiting",
            Status::Resolved => "resolved",
            Status::Closed => "closed",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        Status::ALL.iter().copied().find(|x| x.name() == s.trim())
    }

    pub fn message_key(self) -> String {
        format!("helpdesk-status-{}", self.name().replace('_', "-"))
    }

    /// Whether the support service's clock runs in this status.
    pub fn clock_runs(self) -> bool {
        matches!(self, Status::New | Status::Assigned | Status::InProgress)
    }

    /// Open: not resolved or closed (the queue, the backlog).
    pub fn is_open(self) -> bool {
        !matches!(self, Status::Resolved | Status::Closed)
    }
}

/// Who asks for a status change; decides which changes are theirs to make.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// The administrator or team the ticket is with, or the support service.
    Staff,
    /// The person who asked.
    Applicant,
    /// The portal itself (routing, closing resolved tickets nobody answered).
    System,
}

/// Whether `side` may move a ticket from `from` to `to`. Reopening after closure is
/// further limited in time by the service (`reopen_days`).
pub fn transition_allowed(side: Side, from: Status, to: Status) -> bool {
    use Status::*;
    match (from, to) {
        (New, Assigned) => matches!(side, Side::Staff | Side::System),
        (Assigned, InProgress) | (InProgress, Waiting) | (InProgress, Resolved) => {
            side == Side::Staff
        }
        // The applicant's answer takes a waiting ticket back into work.
        (Waiting, InProgress) => true,
        // Confirmed by the applicant, closed by the support service, or closed by the
        // portal after nobody answered.
        (Resolved, Closed) => true,
        // Not solved after all: reopened.
        (Resolved, InProgress) | (Closed, InProgress) => {
            matches!(side, Side::Staff | Side::Applicant)
        }
        _ => false,
    }
}

/// How a request reached the support service (I617 §13: by phone or e-mail, entered by
/// the service on the applicant's behalf; or in the portal by the applicant).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Portal,
    Phone,
    Email,
}

impl Channel {
    pub fn name(self) -> &'static str {
        match self {
            Channel::Portal => "portal",
            Channel::Phone => "phone",
            Channel::Email => "email",
        }
    }

    pub fn parse(s: &str) -> Option<Channel> {
        [Channel::Portal, Channel::Phone, Channel::Email].into_iter().find(|c| c.name() == s.trim())
    }

    pub fn message_key(self) -> String {
        format!("helpdesk-channel-{}", self.name())
    }
}

/// One status change: when, by whom (user id; 0 for the portal itself), from what to what.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Change {
    /// UTC, stored form.
    pub at: String,
    pub by: u64,
    /// `None` for the registration itself.
    pub from: Option<Status>,
    pub to: Status,
    /// Why (a resolution's summary, the reason of a reopening), as typed.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub note: String,
}

/// A message in the ticket: the applicant's or the support service's answer, or an
/// internal note that the applicant does not see.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Message {
    pub id: u32,
    pub at: String,
    pub by: u64,
    pub text: String,
    /// Seen by the support service only.
    #[serde(default)]
    pub internal: bool,
    /// The document holding the files attached to this message (sealed like any
    /// document), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub files: Option<u64>,
}

/// A request to the support service.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ticket {
    pub id: u64,
    /// Registration number `YYYY-NNNNN` (numbered within the year, Astana time).
    pub number: String,
    pub applicant_id: u64,
    /// The applicant's agency when the request was registered.
    pub agency_id: u64,
    /// The support administrator who entered it for the applicant (phone, e-mail).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entered_by: Option<u64>,
    pub channel: Channel,
    pub category: Category,
    pub urgency: Urgency,
    pub subject: String,
    pub text: String,
    pub status: Status,
    #[serde(default)]
    pub assignee: Option<u64>,
    #[serde(default)]
    pub team: Option<u64>,
    /// The routing rule that placed it, if one did.
    #[serde(default)]
    pub rule: Option<u64>,
    /// No rule matched: it fell to the support administrators (flagged in the queue).
    #[serde(default)]
    pub unrouted: bool,
    pub history: Vec<Change>,
    #[serde(default)]
    pub messages: Vec<Message>,
    /// The document holding the files attached when the request was filed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub files: Option<u64>,
    /// The closed ticket this one continues (an answer after the reopening period).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub continues: Option<u64>,
    /// The ticket that continues this one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub continued_by: Option<u64>,
    pub created: String,
    pub updated: String,
}

impl Ticket {
    /// Moves the ticket, recording the change; the caller checked [`transition_allowed`].
    pub fn record(&mut self, to: Status, by: u64, at: &str, note: &str) {
        self.history.push(Change {
            at: at.to_owned(),
            by,
            from: Some(self.status),
            to,
            note: note.to_owned(),
        });
        self.status = to;
        self.updated = at.to_owned();
    }

    /// The moment of the last change into `status`.
    pub fn last_entered(&self, status: Status) -> Option<&str> {
        self.history.iter().rev().find(|c| c.to == status).map(|c| c.at.as_str())
    }

    /// Every document holding the ticket's files.
    pub fn file_documents(&self) -> Vec<u64> {
        self.files.into_iter().chain(self.messages.iter().filter_map(|m| m.files)).collect()
    }

    /// Ids of everyone the ticket is with (the assignee and the team's members).
    pub fn handlers(&self, team_members: &[u64]) -> Vec<u64> {
        let mut out: Vec<u64> = self.assignee.into_iter().collect();
        out.extend(team_members.iter().copied().filter(|m| Some(*m) != self.assignee));
        out
    }
}

/// The registration number of the `n`-th request of `year`.
pub fn number(year: i16, n: u64) -> String {
    format!("{year}-{n:05}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for c in Category::ALL {
            assert_eq!(Category::parse(c.name()), Some(*c));
        }
        for u in Urgency::ALL {
            assert_eq!(Urgency::parse(u.name()), Some(*u));
        }
        for s in Status::ALL {
            assert_eq!(Status::parse(s.name()), Some(*s));
            assert_eq!(serde_json::to_string(s).unwrap(), format!("\"{}\"", s.name()));
        }
        assert_eq!(Status::parse("done"), None);
        assert_eq!(number(2026, 12), "2026-00012");
    }

    /// Every (side, from, to): exactly the arrows of the diagram, nothing skipped.
    #[test]
    fn transitions_follow_the_diagram_and_never_skip() {
        use Status::*;
        let staff = [
            (New, Assigned),
            (Assigned, InProgress),
            (InProgress, Waiting),
            (InProgress, Resolved),
            (Waiting, InProgress),
            (Resolved, Closed),
            (Resolved, InProgress),
            (Closed, InProgress),
        ];
        let applicant = [
            (Waiting, InProgress),
            (Resolved, Closed),
            (Resolved, InProgress),
            (Closed, InProgress),
        ];
        let system = [(New, Assigned), (Waiting, InProgress), (Resolved, Closed)];
        for (side, allowed) in
            [(Side::Staff, &staff[..]), (Side::Applicant, &applicant[..]), (Side::System, &system)]
        {
            for from in Status::ALL {
                for to in Status::ALL {
                    let expected = allowed.contains(&(*from, *to));
                    assert_eq!(
                        transition_allowed(side, *from, *to),
                        expected,
                        "{side:?} {from:?} → {to:?}"
                    );
                }
            }
        }
        // Skipping states is refused to everyone.
        for side in [Side::Staff, Side::Applicant, Side::System] {
            assert!(!transition_allowed(side, New, Resolved));
            assert!(!transition_allowed(side, Assigned, Resolved));
            assert!(!transition_allowed(side, New, Closed));
        }
    }

    #[test]
    fn the_clock_runs_only_while_the_support_service_works_on_it() {
        let running: Vec<Status> = Status::ALL.iter().copied().filter(|s| s.clock_runs()).collect();
        assert_eq!(running, vec![Status::New, Status::Assigned, Status::InProgress]);
    }
}
