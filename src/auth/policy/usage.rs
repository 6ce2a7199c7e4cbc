//! Usage of the portal (I617 §22): an agency's HR officer and head see how its employees
//! use the portal; the support administrator (who monitors the portal, I617 §24) and the
//! auditor see every agency and the portal as a whole. Counts only, from the portal's own
//! records and access log.
//!
//! Monitoring, not work on documents: open to the roles that stand alone (`duties.rs`).

use super::Object;
use crate::actor::UserIdentity;
use crate::auth::roles::Role;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UsageAction {
    /// See usage figures of an agency (`Object::Agency`) or of the portal
    /// (`Object::Appliance`).
    Read,
}

pub(super) const ADMINISTRATIVE: &[UsageAction] = UsageAction::ALL;

impl UsageAction {
    pub const ALL: &'static [UsageAction] = &[UsageAction::Read];

    /// The operation name recorded in the access log.
    pub fn name(self) -> &'static str {
        match self {
            UsageAction::Read => "usage.read",
        }
    }
}

pub(super) fn decide(user: &UserIdentity, action: UsageAction, object: Object<'_>) -> bool {
    let has = |r| user.roles.contains(r);
    let portal_wide = has(Role::SupportAdmin) || has(Role::Auditor);
    match (action, object) {
        (UsageAction::Read, Object::Appliance) => portal_wide,
        (UsageAction::Read, Object::Agency(a)) => {
            portal_wide || ((has(Role::HrOfficer) || has(Role::Head)) && a == user.agency_id)
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::super::Action;
    use super::*;

    fn check(roles: &[Role], object: Object, expected: bool) {
        super::super::tests::check(roles, Action::Usage(UsageAction::Read), object, expected);
    }

    #[test]
    fn usage_policy_table() {
        check(&[Role::HrOfficer], Object::Agency(1), true);
        check(&[Role::Head], Object::Agency(1), true);
        check(&[Role::HrOfficer], Object::Agency(2), false);
        check(&[Role::Employee], Object::Agency(1), false);
        check(&[Role::HrOfficer], Object::Appliance, false);
        for role in [Role::SupportAdmin, Role::Auditor] {
            check(&[role], Object::Agency(2), true);
            check(&[role], Object::Appliance, true);
        }
        check(&[Role::SystemAdmin], Object::Appliance, false);
    }
}
