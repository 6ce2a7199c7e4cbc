//! The working-day calendar: everyone who works in the portal reads it (deadlines count
//! in its working days); the system administrator keeps it (decreed transfers, Kurban
//! Ait dates), as the operator does from the command line.

use super::Object;
use crate::actor::UserIdentity;
use crate::auth::roles::Role;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CalendarAction {
    /// See the calendar and count working days.
    Read,
    /// Add, change or remove entries; import a CSV of entries.
    Manage,
}

/// Calendar actions that administer rather than work on documents or workflows
/// (`duties.rs`): the calendar is the appliance's reference data, read by everyone.
pub(super) const ADMINISTRATIVE: &[CalendarAction] =
    &[CalendarAction::Read, CalendarAction::Manage];

impl CalendarAction {
    pub const ALL: &'static [CalendarAction] = &[CalendarAction::Read, CalendarAction::Manage];

    /// The operation name recorded in the access log.
    pub fn name(self) -> &'static str {
        match self {
            CalendarAction::Read => "calendar.read",
            CalendarAction::Manage => "calendar.manage",
        }
    }
}

pub(super) fn decide(user: &UserIdentity, action: CalendarAction, object: Object<'_>) -> bool {
    if object != Object::Appliance {
        return false;
    }
    match action {
        CalendarAction::Read => !user.roles.names().is_empty(),
        CalendarAction::Manage => user.roles.contains(Role::SystemAdmin),
    }
}

#[cfg(test)]
mod tests {
    use super::super::Action;
    use super::*;

    fn check(roles: &[Role], action: CalendarAction, expected: bool) {
        super::super::tests::check(roles, Action::Calendar(action), Object::Appliance, expected);
    }

    #[test]
    fn calendar_policy_table() {
        for role in Role::ALL {
            check(&[*role], CalendarAction::Read, true);
            check(&[*role], CalendarAction::Manage, *role == Role::SystemAdmin);
        }
        let actor = super::super::tests::user(1, &[Role::SystemAdmin]);
        assert!(!super::super::decide(
            &actor,
            Action::Calendar(CalendarAction::Manage),
            Object::Agency(1)
        ));
    }
}
