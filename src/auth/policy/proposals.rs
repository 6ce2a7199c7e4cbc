//! Improvement proposals (I617 §39–§41): every account but the auditor's proposes
//! improvements with a justification and supports others' proposals; everyone reads them
//! (they are about the portal, not about anyone's documents); the support administrator
//! reviews them and tells the proposer the outcome.
//!
//! About the portal itself, not work on documents: open to the administrators whose roles
//! stand alone (`duties.rs`).

use super::Object;
use crate::actor::UserIdentity;
use crate::auth::roles::Role;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProposalAction {
    /// Propose an improvement.
    Propose,
    /// Read and search proposals.
    Read,
    /// Support someone else's proposal (once).
    Support,
    /// Review: evaluating, accepted for a version, implemented, rejected.
    Review,
}

pub(super) const ADMINISTRATIVE: &[ProposalAction] = ProposalAction::ALL;

impl ProposalAction {
    pub const ALL: &'static [ProposalAction] = &[
        ProposalAction::Propose,
        ProposalAction::Read,
        ProposalAction::Support,
        ProposalAction::Review,
    ];

    /// The operation name recorded in the access log.
    pub fn name(self) -> &'static str {
        match self {
            ProposalAction::Propose => "proposal.create",
            ProposalAction::Read => "proposal.read",
            ProposalAction::Support => "proposal.support",
            ProposalAction::Review => "proposal.review",
        }
    }
}

pub(super) fn decide(user: &UserIdentity, action: ProposalAction, object: Object<'_>) -> bool {
    let has_any_role = user.roles.iter().next().is_some();
    // Any role but the auditor's, who changes nothing (a union, like every right).
    let may_propose = user.roles.iter().any(|r| r != Role::Auditor);
    match (action, object) {
        (ProposalAction::Propose, Object::Agency(a)) => a == user.agency_id && may_propose,
        (ProposalAction::Read, Object::Appliance | Object::Proposal { .. }) => has_any_role,
        (ProposalAction::Support, Object::Proposal { author }) => author != user.id && may_propose,
        (ProposalAction::Review, Object::Proposal { .. }) => {
            user.roles.contains(Role::SupportAdmin)
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::super::Action;
    use super::*;

    fn check(roles: &[Role], action: ProposalAction, object: Object, expected: bool) {
        super::super::tests::check(roles, Action::Proposal(action), object, expected);
    }

    #[test]
    fn proposal_policy_table() {
        use ProposalAction::*;
        let mine = Object::Proposal { author: 10 };
        let theirs = Object::Proposal { author: 11 };
        for role in [Role::Employee, Role::Head, Role::SystemAdmin, Role::SupportAdmin] {
            check(&[role], Propose, Object::Agency(1), true);
            check(&[role], Read, theirs, true);
            check(&[role], Support, theirs, true);
            check(&[role], Support, mine, false);
        }
        check(&[Role::Employee], Propose, Object::Agency(2), false);
        check(&[Role::Auditor], Propose, Object::Agency(1), false);
        check(&[Role::Auditor], Support, theirs, false);
        check(&[Role::Auditor], Read, theirs, true);
        check(&[Role::SupportAdmin], Review, theirs, true);
        check(&[Role::SystemAdmin], Review, theirs, false);
        check(&[Role::Head], Review, theirs, false);
    }
}
