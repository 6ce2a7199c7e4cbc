//! An account request and its steps, without I/O.

use serde::{Deserialize, Serialize};

use crate::auth::roles::Role;

/// What is asked (I617 §20).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// An account for a newcomer.
    Newcomer,
    /// A leaver's account disabled on a date.
    Leaver,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Newcomer => "newcomer",
            Kind::Leaver => "leaver",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        [Kind::Newcomer, Kind::Leaver].into_iter().find(|k| k.name() == s.trim())
    }

    pub fn message_key(self) -> String {
        format!("account-request-kind-{}", self.name())
    }
}

/// Where a request stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Filed: a newcomer's request waits for the administrator, a leaver's for its date.
    Pending,
    /// The newcomer's account is created.
    Approved,
    /// The leaver's account is disabled.
    Disabled,
    /// Refused by the administrator, with a reason.
    Refused,
    /// Withdrawn by the HR officer before it was settled.
    Withdrawn,
}

impl Status {
    pub const ALL: &'static [Status] =
        &[Status::Pending, Status::Approved, Status::Disabled, Status::Refused, Status::Withdrawn];

    pub fn name(self) -> &'static str {
        match self {
            Status::Pending => "pending",
            Status::Approved => "approved",
            Status::Disabled => "disabled",
            Status::Refused => "refused",
            Status::Withdrawn => "withdrawn",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        Status::ALL.iter().copied().find(|x| x.name() == s.trim())
    }

    pub fn message_key(self) -> String {
        format!("account-request-status-{}", self.name())
    }

    /// Only a pending request changes; every outcome is final.
    pub fn is_settled(self) -> bool {
        self != Status::Pending
    }

    /// The outcomes a request of this kind may reach: a newcomer's is approved by a
    /// person, a leaver's disabled by the server on its date.
    pub fn may_end_as(kind: Kind, to: Status) -> bool {
        matches!(
            (kind, to),
            (_, Status::Refused | Status::Withdrawn)
                | (Kind::Newcomer, Status::Approved)
                | (Kind::Leaver, Status::Disabled)
        )
    }
}

/// One step of a request's history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Step {
    pub at: String,
    /// The person, or 0 for the server (a leaver disabled on the date).
    pub by: u64,
    pub to: Status,
    #[serde(default)]
    pub note: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccountRequest {
    pub id: u64,
    pub kind: Kind,
    pub agency_id: u64,
    /// The HR officer who filed it.
    pub requested_by: u64,
    /// The newcomer's login to be, or the leaver's login.
    pub login: String,
    #[serde(default)]
    pub name_kk: String,
    #[serde(default)]
    pub name_ru: String,
    #[serde(default)]
    pub position_kk: String,
    #[serde(default)]
    pub position_ru: String,
    #[serde(default)]
    pub department_id: Option<u64>,
    #[serde(default)]
    pub email: String,
    /// The roles asked for the newcomer.
    #[serde(default)]
    pub roles: Vec<Role>,
    /// The leaver's account and, once created, the newcomer's.
    #[serde(default)]
    pub user_id: Option<u64>,
    /// The day (Astana, `YYYY-MM-DD`) a leaver's account is disabled.
    #[serde(default)]
    pub disable_on: String,
    /// The HR officer's comment.
    #[serde(default)]
    pub note: String,
    pub status: Status,
    /// The administrator's reason for a refusal.
    #[serde(default)]
    pub reason: String,
    pub steps: Vec<Step>,
    pub created: String,
    pub updated: String,
}

impl AccountRequest {
    /// Whether a pending leaver's request is due on `today` (`YYYY-MM-DD`, Astana).
    pub fn is_due(&self, today: &str) -> bool {
        self.kind == Kind::Leaver && self.status == Status::Pending && *self.disable_on <= *today
    }

    /// Settles the request; false when it is settled already or the outcome does not fit
    /// its kind.
    pub fn settle(&mut self, to: Status, by: u64, at: &str, note: &str) -> bool {
        if self.status.is_settled() || !Status::may_end_as(self.kind, to) {
            return false;
        }
        self.status = to;
        self.steps.push(Step { at: at.to_owned(), by, to, note: note.to_owned() });
        self.updated = at.to_owned();
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(kind: Kind) -> AccountRequest {
        AccountRequest {
            id: 1,
            kind,
            agency_id: 1,
            requested_by: 2,
            login: "a.nurlanova".into(),
            name_kk: String::new(),
            name_ru: String::new(),
            position_kk: String::new(),
            position_ru: String::new(),
            department_id: None,
            email: String::new(),
            roles: vec![Role::Employee],
            user_id: None,
            disable_on: "2027-01-15".into(),
            note: String::new(),
            status: Status::Pending,
            reason: String::new(),
            steps: Vec::new(),
            created: String::new(),
            updated: String::new(),
        }
    }

    #[test]
    fn outcomes_fit_the_kind_and_are_final() {
        let mut newcomer = request(Kind::Newcomer);
        assert!(!newcomer.settle(Status::Disabled, 0, "t", ""), "a newcomer is not disabled");
        assert!(!newcomer.settle(Status::Pending, 1, "t", ""));
        assert!(newcomer.settle(Status::Approved, 1, "t", ""));
        assert!(!newcomer.settle(Status::Refused, 1, "t", "late"), "an outcome is final");
        assert_eq!((newcomer.status, newcomer.steps.len()), (Status::Approved, 1));
        let mut leaver = request(Kind::Leaver);
        assert!(!leaver.settle(Status::Approved, 1, "t", ""), "a leaver is not approved");
        assert!(leaver.settle(Status::Withdrawn, 2, "t", ""));
    }

    #[test]
    fn a_leaver_is_due_from_the_date_on() {
        let mut leaver = request(Kind::Leaver);
        assert!(!leaver.is_due("2027-01-14"));
        assert!(leaver.is_due("2027-01-15"));
        assert!(leaver.is_due("2027-02-01"), "a day missed while stopped is caught up");
        leaver.status = Status::Withdrawn;
        assert!(!leaver.is_due("2027-02-01"));
        assert!(!request(Kind::Newcomer).is_due("2027-02-01"));
    }
}
