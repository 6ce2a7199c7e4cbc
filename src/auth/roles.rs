//! The closed set of roles a portal user can hold (I385 §6.1; I617 §20–§22).

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Any civil servant of a participating agency.
    Employee,
    /// Head of an agency: signs, approves, resolves working groups.
    Head,
    /// Keeps the agency's staff directory and headcount data.
    HrOfficer,
    /// The civil-service agency's verifier of headcount data (I385 §26–§28).
    CivilServiceVerifier,
    /// Chancellery document-control department (OKDO/ҚБҚБ) officer.
    OkdoOfficer,
    /// Responsible for an agency's action plan (I385 §29–§37).
    PlanResponsible,
    /// Watches control-instruction deadlines (I385 §48–§51).
    Controller,
    /// Designs and runs sociological surveys (I385 §7.8): granted by the administrator;
    /// heads and HR officers author surveys without it (the clause's default).
    SurveyAuthor,
    /// The e-document system's connector: pushes imports of control instructions
    /// (I385 §48), signed in by a token or its registered client certificate, nothing else.
    Connector,
    /// User-support service (I617 §13–§16): accounts help, tickets.
    SupportAdmin,
    /// Runs the appliance: agencies, accounts, configuration. Reads no documents unless granted.
    SystemAdmin,
    /// Reads the access log.
    Auditor,
}

impl Role {
    pub const ALL: &'static [Role] = &[
        Role::Employee,
        Role::Head,
        Role::HrOfficer,
        Role::CivilServiceVerifier,
        Role::OkdoOfficer,
        Role::PlanResponsible,
        Role::Controller,
        Role::SurveyAuthor,
        Role::Connector,
        Role::SupportAdmin,
        Role::SystemAdmin,
        Role::Auditor,
    ];

    /// The machine name used in the CLI, API and configuration.
    pub fn name(self) -> &'static str {
        match self {
            Role::Employee => "employee",
            Role::Head => "head",
            Role::HrOfficer => "hr_officer",
            Role::CivilServiceVerifier => "civil_service_verifier",
            Role::OkdoOfficer => "okdo_officer",
            Role::PlanResponsible => "plan_responsible",
            Role::Controller => "controller",
            Role::SurveyAuthor => "survey_author",
            Role::Connector => "connector",
            Role::SupportAdmin => "support_admin",
            Role::SystemAdmin => "system_admin",
            Role::Auditor => "auditor",
        }
    }

    pub fn parse(name: &str) -> Option<Role> {
        Role::ALL.iter().copied().find(|r| r.name() == name)
    }

    /// Fluent message id of the role's human name.
    pub fn message_key(self) -> String {
        format!("role-{}", self.name().replace('_', "-"))
    }
}

/// A small set of roles (a bit set, cheap to copy and check on every request).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RoleSet(u16);

impl RoleSet {
    pub fn contains(self, role: Role) -> bool {
        self.0 & bit(role) != 0
    }

    pub fn insert(&mut self, role: Role) {
        self.0 |= bit(role);
    }

    pub fn iter(self) -> impl Iterator<Item = Role> {
        Role::ALL.iter().copied().filter(move |r| self.contains(*r))
    }

    pub fn names(self) -> Vec<&'static str> {
        self.iter().map(Role::name).collect()
    }
}

impl FromIterator<Role> for RoleSet {
    fn from_iter<I: IntoIterator<Item = Role>>(iter: I) -> Self {
        let mut set = RoleSet::default();
        for r in iter {
            set.insert(r);
        }
        set
    }
}

fn bit(role: Role) -> u16 {
    1 << Role::ALL.iter().position(|r| *r == role).expect("role in ALL")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_match_serde() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.name()), Some(*role));
            assert_eq!(serde_json::to_string(role).unwrap(), format!("\"{}\"", role.name()));
        }
        assert_eq!(Role::parse("root"), None);
    }

    #[test]
    fn role_set_holds_exactly_what_was_inserted() {
        let set: RoleSet = [Role::Head, Role::Auditor].into_iter().collect();
        assert!(set.contains(Role::Head) && set.contains(Role::Auditor));
        assert!(!set.contains(Role::SystemAdmin));
        assert_eq!(set.names(), vec!["head", "auditor"]);
    }
}
