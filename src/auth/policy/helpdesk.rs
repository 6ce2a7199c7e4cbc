//! The helpdesk (I617 §13–§16): every account asks the support service for help (the
//! auditor, who changes nothing, excepted); the support administrator enters requests
//! taken by phone or e-mail, routes, assigns and keeps the routing rules; the
//! administrators a request is routed to (an account or a team) work on it. A request is
//! seen by its applicant, its handlers and the support administrators only.
//!
//! All of it is administration of the portal, not work on documents: the support and
//! system administrators, whose roles stand alone (`duties.rs`), take these actions.

use super::Object;
use crate::actor::UserIdentity;
use crate::auth::roles::Role;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HelpdeskAction {
    /// File one's own request.
    File,
    /// Enter a request taken by phone or e-mail for an applicant.
    FileOnBehalf,
    /// See a request, its history and messages.
    Read,
    /// Answer in a request (with files).
    Reply,
    /// Change a request's status, write internal notes.
    Work,
    /// Assign or reassign a request to an administrator or a team.
    Assign,
    /// See the whole queue and the support dashboard.
    Queue,
    /// Keep the routing rules and the teams.
    ManageRouting,
}

/// Every helpdesk action administers the portal (see the module header).
pub(super) const ADMINISTRATIVE: &[HelpdeskAction] = HelpdeskAction::ALL;

impl HelpdeskAction {
    pub const ALL: &'static [HelpdeskAction] = &[
        HelpdeskAction::File,
        HelpdeskAction::FileOnBehalf,
        HelpdeskAction::Read,
        HelpdeskAction::Reply,
        HelpdeskAction::Work,
        HelpdeskAction::Assign,
        HelpdeskAction::Queue,
        HelpdeskAction::ManageRouting,
    ];

    /// The operation name recorded in the access log.
    pub fn name(self) -> &'static str {
        match self {
            HelpdeskAction::File => "helpdesk.file",
            HelpdeskAction::FileOnBehalf => "helpdesk.file_on_behalf",
            HelpdeskAction::Read => "helpdesk.read",
            HelpdeskAction::Reply => "helpdesk.reply",
            HelpdeskAction::Work => "helpdesk.work",
            HelpdeskAction::Assign => "helpdesk.assign",
            HelpdeskAction::Queue => "helpdesk.queue",
            HelpdeskAction::ManageRouting => "helpdesk.routing",
        }
    }
}

/// Whether the account may be a handler of requests (an assignee or a team member).
pub fn can_handle(roles: crate::auth::roles::RoleSet) -> bool {
    roles.contains(Role::SupportAdmin) || roles.contains(Role::SystemAdmin)
}

pub(super) fn decide(user: &UserIdentity, action: HelpdeskAction, object: Object<'_>) -> bool {
    let support = user.roles.contains(Role::SupportAdmin);
    // Any role but the auditor's, who changes nothing (a union, like every right).
    let may_ask = user.roles.iter().any(|r| r != Role::Auditor);
    match (action, object) {
        (HelpdeskAction::File, Object::Agency(agency)) => agency == user.agency_id && may_ask,
        (HelpdeskAction::FileOnBehalf, Object::Agency(_)) => support,
        (HelpdeskAction::Queue | HelpdeskAction::ManageRouting, Object::Appliance) => support,
        (action, Object::Ticket { applicant, handlers, .. }) => {
            let mine = applicant == user.id;
            let handler = handlers.contains(&user.id) && can_handle(user.roles);
            match action {
                HelpdeskAction::Read | HelpdeskAction::Reply => mine || handler || support,
                HelpdeskAction::Work => handler || support,
                HelpdeskAction::Assign => support,
                _ => false,
            }
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::super::Action;
    use super::*;

    fn check(roles: &[Role], action: HelpdeskAction, object: Object, expected: bool) {
        super::super::tests::check(roles, Action::Helpdesk(action), object, expected);
    }

    #[test]
    fn helpdesk_policy_table() {
        use HelpdeskAction::*;
        // The test user is id 10 of agency 1.
        let mine = Object::Ticket { applicant: 10, agency_id: 1, handlers: &[] };
        let colleague = Object::Ticket { applicant: 11, agency_id: 1, handlers: &[] };
        let handled = Object::Ticket { applicant: 11, agency_id: 2, handlers: &[10] };
        for role in [Role::Employee, Role::Head, Role::SystemAdmin, Role::SupportAdmin] {
            check(&[role], File, Object::Agency(1), true);
            check(&[role], File, Object::Agency(2), false);
            check(&[role], Read, mine, true);
            check(&[role], Reply, mine, true);
        }
        check(&[Role::Auditor], File, Object::Agency(1), false);
        check(&[Role::Employee], Read, colleague, false);
        check(&[Role::Head], Read, colleague, false);
        check(&[Role::Employee], Work, mine, false);
        check(&[Role::SupportAdmin], Read, colleague, true);
        check(&[Role::SupportAdmin], Work, colleague, true);
        check(&[Role::SupportAdmin], Assign, colleague, true);
        check(&[Role::SupportAdmin], FileOnBehalf, Object::Agency(2), true);
        check(&[Role::SystemAdmin], FileOnBehalf, Object::Agency(1), false);
        check(&[Role::SystemAdmin], Read, colleague, false);
        check(&[Role::SystemAdmin], Read, handled, true);
        check(&[Role::SystemAdmin], Work, handled, true);
        check(&[Role::SystemAdmin], Assign, handled, false);
        // Named as a handler but not an administrator: nothing.
        check(&[Role::Employee], Read, handled, false);
        check(&[Role::SupportAdmin], Queue, Object::Appliance, true);
        check(&[Role::SupportAdmin], ManageRouting, Object::Appliance, true);
        check(&[Role::SystemAdmin], Queue, Object::Appliance, false);
        check(&[Role::Employee], ManageRouting, Object::Appliance, false);
        assert!(Action::Helpdesk(Work).is_administrative());
    }
}
