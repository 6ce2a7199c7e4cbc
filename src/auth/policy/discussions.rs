//! Discussions of documents (I385 §7.6, §52–§54): the initiator posts a document and forms
//! the working group; its members discuss and vote.

use super::Object;
use crate::actor::UserIdentity;
use crate::auth::roles::Role;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DiscussionAction {
    /// Post a document for discussion in one's own agency (§52).
    Create,
    /// See a discussion: its document, comments and poll (initiator and members).
    Read,
    /// Comment (initiator and members, while it is open).
    Comment,
    /// Change it before it starts, close it early with a reason (§54): the initiator.
    Manage,
}

impl DiscussionAction {
    pub const ALL: &'static [DiscussionAction] = &[
        DiscussionAction::Create,
        DiscussionAction::Read,
        DiscussionAction::Comment,
        DiscussionAction::Manage,
    ];

    /// The operation name recorded in the access log.
    pub fn name(self) -> &'static str {
        match self {
            DiscussionAction::Create => "discussion.create",
            DiscussionAction::Read => "discussion.read",
            DiscussionAction::Comment => "discussion.comment",
            DiscussionAction::Manage => "discussion.manage",
        }
    }
}

pub(super) fn decide(user: &UserIdentity, action: DiscussionAction, object: Object<'_>) -> bool {
    let has = |role| user.roles.contains(role);
    match (action, object) {
        (DiscussionAction::Create, Object::Agency(agency)) => {
            agency == user.agency_id && (has(Role::Employee) || has(Role::Head))
        }
        (
            DiscussionAction::Read | DiscussionAction::Comment,
            Object::Discussion { initiator, members, .. },
        ) => initiator == user.id || members.contains(&user.id),
        (DiscussionAction::Manage, Object::Discussion { initiator, .. }) => initiator == user.id,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::super::Action;
    use super::*;

    fn check(roles: &[Role], action: DiscussionAction, object: Object, expected: bool) {
        super::super::tests::check(roles, Action::Discussion(action), object, expected);
    }

    #[test]
    fn discussion_policy_table() {
        // The test user is account 10 of agency 1.
        let mine = Object::Discussion { initiator: 10, agency: 1, members: &[11] };
        let member = Object::Discussion { initiator: 11, agency: 2, members: &[10, 12] };
        let foreign = Object::Discussion { initiator: 11, agency: 1, members: &[12] };
        check(&[Role::Employee], DiscussionAction::Create, Object::Agency(1), true);
        check(&[Role::Employee], DiscussionAction::Create, Object::Agency(2), false);
        check(&[Role::Auditor], DiscussionAction::Create, Object::Agency(1), false);
        check(&[Role::Employee], DiscussionAction::Read, mine, true);
        check(&[Role::Employee], DiscussionAction::Manage, mine, true);
        check(&[Role::Employee], DiscussionAction::Read, member, true);
        check(&[Role::Employee], DiscussionAction::Comment, member, true);
        check(&[Role::Employee], DiscussionAction::Manage, member, false);
        check(&[Role::Head], DiscussionAction::Read, foreign, false);
        check(&[Role::Employee], DiscussionAction::Comment, foreign, false);
    }
}
