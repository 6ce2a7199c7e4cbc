//! Reminders of control instructions (I385 §48–§51): the controller of an agency reads the
//! instructions addressed to it (§50), an executor those naming them; only an account with
//! the connector role pushes imports; refreshing by hand and the import log are the
//! administrator's.

use super::Object;
use crate::actor::UserIdentity;
use crate::auth::roles::Role;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReminderAction {
    /// See an instruction with its days left and history (§50).
    Read,
    /// Push a batch from the e-document system: the connector account (or the operator).
    Import,
    /// Refresh a source now instead of at its next scheduled time (§51).
    Refresh,
    /// The import log, connector tokens, unmapped agencies.
    Administer,
}

/// Actions that administer the appliance rather than read instructions: open to the
/// connector (a role that stands alone), the system administrator and the operator.
pub(super) const ADMINISTRATIVE: &[ReminderAction] =
    &[ReminderAction::Import, ReminderAction::Refresh, ReminderAction::Administer];

impl ReminderAction {
    pub const ALL: &'static [ReminderAction] = &[
        ReminderAction::Read,
        ReminderAction::Import,
        ReminderAction::Refresh,
        ReminderAction::Administer,
    ];

    /// The operation name recorded in the access log.
    pub fn name(self) -> &'static str {
        match self {
            ReminderAction::Read => "reminders.read",
            ReminderAction::Import => "reminders.import",
            ReminderAction::Refresh => "reminders.refresh",
            ReminderAction::Administer => "reminders.administer",
        }
    }
}

pub(super) fn decide(user: &UserIdentity, action: ReminderAction, object: Object<'_>) -> bool {
    let has = |role| user.roles.contains(role);
    match (action, object) {
        (ReminderAction::Read, Object::Reminder { agency, executor }) => {
            super::is_participant(user)
                && ((has(Role::Controller) && agency == Some(user.agency_id))
                    || executor == Some(user.id))
        }
        (ReminderAction::Import, Object::Appliance) => has(Role::Connector),
        (ReminderAction::Refresh | ReminderAction::Administer, Object::Appliance) => {
            has(Role::SystemAdmin)
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::super::Action;
    use super::*;

    fn check(roles: &[Role], action: ReminderAction, object: Object, expected: bool) {
        super::super::tests::check(roles, Action::Reminder(action), object, expected);
    }

    #[test]
    fn reminder_policy_table() {
        // The test user is id 10 of agency 1.
        let own = Object::Reminder { agency: Some(1), executor: None };
        let foreign = Object::Reminder { agency: Some(2), executor: None };
        let unmapped = Object::Reminder { agency: None, executor: None };
        let mine = Object::Reminder { agency: Some(1), executor: Some(10) };
        let read = ReminderAction::Read;
        check(&[Role::Employee, Role::Controller], read, own, true);
        check(&[Role::Employee, Role::Controller], read, foreign, false);
        check(&[Role::Employee, Role::Controller], read, unmapped, false);
        check(&[Role::Employee], read, own, false);
        check(&[Role::Employee], read, mine, true);
        check(&[Role::Head], read, own, false);
        // The administrators and the connector read no instruction.
        check(&[Role::SystemAdmin], read, own, false);
        check(&[Role::Connector], read, own, false);
        check(&[Role::Auditor], read, mine, false);
        let import = ReminderAction::Import;
        check(&[Role::Connector], import, Object::Appliance, true);
        check(&[Role::SystemAdmin], import, Object::Appliance, false);
        check(&[Role::Employee, Role::Controller], import, Object::Appliance, false);
        for a in [ReminderAction::Refresh, ReminderAction::Administer] {
            check(&[Role::SystemAdmin], a, Object::Appliance, true);
            check(&[Role::Connector], a, Object::Appliance, false);
            check(&[Role::Controller], a, Object::Appliance, false);
        }
    }
}
