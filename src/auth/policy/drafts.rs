//! Draft legal acts (I385 §12–§25): each party acts in its own role only. The absentee
//! vote's ballots are the voting engine's (`polls.rs`).

use super::Object;
use crate::actor::UserIdentity;
use crate::auth::roles::Role;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DraftAction {
    /// See a draft legal act and its approval sheet (I385 §12–§25).
    Read,
    /// Post a revised version or a disagreement protocol for the developer agency (§17–§18).
    Develop,
    /// Sign the draft as the developer agency's head (§14) or its side of a protocol (§17).
    DeveloperSign,
    /// Register the cover letter in an approving agency's office (§16).
    RegisterLetter,
    /// Decide for an approving agency as its head: working group, approval with a
    /// signature, reasoned rejection, its side of a protocol (§16–§17).
    Approve,
    /// The Chancellery's document-control steps: check, minutes, vote, final status (§20–§25).
    Chancellery,
}

/// Draft actions that administer rather than work on drafts (`duties.rs`): none.
pub(super) const ADMINISTRATIVE: &[DraftAction] = &[];

impl DraftAction {
    pub const ALL: &'static [DraftAction] = &[
        DraftAction::Read,
        DraftAction::Develop,
        DraftAction::DeveloperSign,
        DraftAction::RegisterLetter,
        DraftAction::Approve,
        DraftAction::Chancellery,
    ];

    /// The operation name recorded in the access log.
    pub fn name(self) -> &'static str {
        match self {
            DraftAction::Read => "draft.read",
            DraftAction::Develop => "draft.develop",
            DraftAction::DeveloperSign => "draft.developer_sign",
            DraftAction::RegisterLetter => "draft.register_letter",
            DraftAction::Approve => "draft.approve",
            DraftAction::Chancellery => "draft.chancellery",
        }
    }
}

pub(super) fn decide(user: &UserIdentity, action: DraftAction, object: Object<'_>) -> bool {
    let has = |role| user.roles.contains(role);
    match action {
        DraftAction::Read => match object {
            Object::Draft { developer, approving, voters } => {
                user.agency_id == developer
                    || approving.contains(&user.agency_id)
                    || voters.contains(&user.id)
                    || has(Role::OkdoOfficer)
            }
            _ => false,
        },
        DraftAction::Develop => match object {
            Object::Draft { developer, .. } => {
                user.agency_id == developer && (has(Role::Employee) || has(Role::Head))
            }
            _ => false,
        },
        DraftAction::DeveloperSign => match object {
            Object::Draft { developer, .. } => user.agency_id == developer && has(Role::Head),
            _ => false,
        },
        DraftAction::RegisterLetter => match object {
            Object::Draft { approving, .. } => {
                approving.contains(&user.agency_id) && (has(Role::Employee) || has(Role::Head))
            }
            _ => false,
        },
        DraftAction::Approve => match object {
            Object::Draft { approving, .. } => {
                approving.contains(&user.agency_id) && has(Role::Head)
            }
            _ => false,
        },
        DraftAction::Chancellery => {
            matches!(object, Object::Draft { .. }) && has(Role::OkdoOfficer)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::Action;
    use super::*;

    fn check(roles: &[Role], action: DraftAction, object: Object, expected: bool) {
        super::super::tests::check(roles, Action::Draft(action), object, expected);
    }

    #[test]
    fn draft_policy_table() {
        let approving = [2u64, 3];
        let voters = [10u64];
        let draft = Object::Draft { developer: 1, approving: &approving, voters: &voters };
        check(&[Role::Employee], DraftAction::Read, draft, true);
        check(&[Role::Employee], DraftAction::Develop, draft, true);
        check(&[Role::Employee], DraftAction::DeveloperSign, draft, false);
        check(&[Role::Head], DraftAction::DeveloperSign, draft, true);
        check(&[Role::Head], DraftAction::Approve, draft, false);
        // A head called to the absentee vote reads the draft (the ballot is the poll's).
        let called = Object::Draft { developer: 7, approving: &[8], voters: &voters };
        check(&[Role::Head], DraftAction::Read, called, true);
        check(&[Role::OkdoOfficer], DraftAction::Chancellery, draft, true);
        check(&[Role::Head], DraftAction::Chancellery, draft, false);
        let foreign = Object::Draft { developer: 7, approving: &approving, voters: &[] };
        check(&[Role::Employee], DraftAction::Read, foreign, false);
        check(&[Role::OkdoOfficer], DraftAction::Read, foreign, true);
        let mine_to_approve = Object::Draft { developer: 7, approving: &[1], voters: &[] };
        check(&[Role::Employee], DraftAction::RegisterLetter, mine_to_approve, true);
        check(&[Role::Employee], DraftAction::Approve, mine_to_approve, false);
        check(&[Role::Head], DraftAction::Approve, mine_to_approve, true);
    }
}
