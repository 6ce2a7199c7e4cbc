//! Action plans (I385 §29–§37): the responsible department posts its agency's plan, the
//! authorized body the Government's; the responsible executor's plan officer assigns tasks
//! and reviews reports; task executors report; the head signs the consolidated report,
//! which the chain alone sees until it is signed, then the owner agency's employees.

use super::Object;
use crate::actor::UserIdentity;
use crate::auth::roles::Role;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlanAction {
    /// See a plan, its items and their standing (the owner and the executor agencies).
    Read,
    /// Create, fill and post a plan (§30–§31): the owner agency's plan officer.
    Manage,
    /// Assign tasks on an item (§33): the responsible executor's plan officer.
    Assign,
    /// Post a report on an item (§34): an executor of one of its tasks.
    Report,
    /// Accept or return reports and post the consolidated report (§35).
    Review,
    /// Sign the consolidated report (§35): the responsible executor's head.
    Sign,
    /// Read a consolidated report (§36–§37).
    ReadConsolidated,
}

impl PlanAction {
    pub const ALL: &'static [PlanAction] = &[
        PlanAction::Read,
        PlanAction::Manage,
        PlanAction::Assign,
        PlanAction::Report,
        PlanAction::Review,
        PlanAction::Sign,
        PlanAction::ReadConsolidated,
    ];

    /// The operation name recorded in the access log.
    pub fn name(self) -> &'static str {
        match self {
            PlanAction::Read => "plan.read",
            PlanAction::Manage => "plan.manage",
            PlanAction::Assign => "plan.assign",
            PlanAction::Report => "plan.report",
            PlanAction::Review => "plan.review",
            PlanAction::Sign => "plan.sign",
            PlanAction::ReadConsolidated => "plan.read_consolidated",
        }
    }
}

pub(super) fn decide(user: &UserIdentity, action: PlanAction, object: Object<'_>) -> bool {
    // Plans are official work: administrative roles alone read none of them.
    if !super::is_participant(user) {
        return false;
    }
    let has = |role| user.roles.contains(role);
    let mine = |agency: u64| user.agency_id == agency;
    match (action, object) {
        (PlanAction::Read, Object::Plan { owner, executors }) => {
            mine(owner) || executors.contains(&user.agency_id)
        }
        (PlanAction::Manage, Object::Plan { owner, .. }) => {
            mine(owner) && has(Role::PlanResponsible)
        }
        (PlanAction::Assign | PlanAction::Review, Object::PlanItem { responsible, .. }) => {
            mine(responsible) && has(Role::PlanResponsible)
        }
        (PlanAction::Report, Object::PlanItem { task_executors, .. }) => {
            task_executors.contains(&user.id)
        }
        (PlanAction::Sign, Object::PlanItem { responsible, .. }) => {
            mine(responsible) && has(Role::Head)
        }
        (
            PlanAction::ReadConsolidated,
            Object::PlanReport { owner, responsible, author, signed },
        ) => {
            let chain = user.id == author
                || (mine(responsible) && (has(Role::PlanResponsible) || has(Role::Head)));
            chain || (signed && mine(owner))
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::super::Action;
    use super::*;

    fn check(roles: &[Role], action: PlanAction, object: Object, expected: bool) {
        super::super::tests::check(roles, Action::Plan(action), object, expected);
    }

    #[test]
    fn plan_policy_table() {
        // The test user is id 10 of agency 1.
        let plan = Object::Plan { owner: 1, executors: &[2] };
        let foreign = Object::Plan { owner: 3, executors: &[2] };
        let executing = Object::Plan { owner: 3, executors: &[1] };
        check(&[Role::Employee], PlanAction::Read, plan, true);
        check(&[Role::Employee], PlanAction::Read, foreign, false);
        check(&[Role::Employee], PlanAction::Read, executing, true);
        check(&[Role::Employee], PlanAction::Manage, plan, false);
        check(&[Role::PlanResponsible], PlanAction::Manage, plan, true);
        check(&[Role::PlanResponsible], PlanAction::Manage, executing, false);
        let item = Object::PlanItem { owner: 3, responsible: 1, task_executors: &[10] };
        let other = Object::PlanItem { owner: 3, responsible: 2, task_executors: &[11] };
        check(&[Role::PlanResponsible], PlanAction::Assign, item, true);
        check(&[Role::PlanResponsible], PlanAction::Assign, other, false);
        check(&[Role::Employee], PlanAction::Report, item, true);
        check(&[Role::Employee], PlanAction::Report, other, false);
        check(&[Role::Head], PlanAction::Sign, item, true);
        check(&[Role::PlanResponsible], PlanAction::Sign, item, false);
        check(&[Role::Head], PlanAction::Sign, other, false);
        // §36–§37: before signing only the chain; after, the owner agency too.
        let unsigned = Object::PlanReport { owner: 1, responsible: 2, author: 99, signed: false };
        let signed = Object::PlanReport { owner: 1, responsible: 2, author: 99, signed: true };
        check(&[Role::Employee], PlanAction::ReadConsolidated, unsigned, false);
        check(&[Role::Employee], PlanAction::ReadConsolidated, signed, true);
        let own = Object::PlanReport { owner: 5, responsible: 1, author: 99, signed: false };
        check(&[Role::Head], PlanAction::ReadConsolidated, own, true);
        check(&[Role::Employee], PlanAction::ReadConsolidated, own, false);
        check(
            &[Role::Employee],
            PlanAction::ReadConsolidated,
            Object::PlanReport { owner: 5, responsible: 1, author: 10, signed: false },
            true,
        );
        check(&[Role::SystemAdmin], PlanAction::Read, plan, false);
    }
}
