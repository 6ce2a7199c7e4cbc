//! Training (I617 §19): an agency's HR officer or head asks the support service to train
//! named employees on a topic; the support administrator schedules sessions, invites the
//! trainees and records who attended. A request is seen by its agency's HR officers and
//! heads, by the trainees it names and by the support administrators.
//!
//! Administration of the portal's use, not work on documents: open to the support
//! administrator, whose role stands alone (`duties.rs`).

use super::Object;
use crate::actor::UserIdentity;
use crate::auth::roles::Role;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrainingAction {
    /// Ask for training for one's own agency.
    Request,
    /// See a request, its sessions and attendance.
    Read,
    /// Schedule sessions, invite, record attendance, decline a request.
    Schedule,
}

pub(super) const ADMINISTRATIVE: &[TrainingAction] = TrainingAction::ALL;

impl TrainingAction {
    pub const ALL: &'static [TrainingAction] =
        &[TrainingAction::Request, TrainingAction::Read, TrainingAction::Schedule];

    /// The operation name recorded in the access log.
    pub fn name(self) -> &'static str {
        match self {
            TrainingAction::Request => "training.request",
            TrainingAction::Read => "training.read",
            TrainingAction::Schedule => "training.schedule",
        }
    }
}

pub(super) fn decide(user: &UserIdentity, action: TrainingAction, object: Object<'_>) -> bool {
    let has = |r| user.roles.contains(r);
    let support = has(Role::SupportAdmin);
    let officer_of = |a: u64| (has(Role::HrOfficer) || has(Role::Head)) && a == user.agency_id;
    match (action, object) {
        (TrainingAction::Request, Object::Agency(a)) => officer_of(a),
        (TrainingAction::Read, Object::Agency(a)) => officer_of(a) || support,
        (TrainingAction::Read, Object::Training { agency_id, trainees }) => {
            officer_of(agency_id) || support || trainees.contains(&user.id)
        }
        (TrainingAction::Schedule, Object::Training { .. } | Object::Appliance) => support,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::super::Action;
    use super::*;

    fn check(roles: &[Role], action: TrainingAction, object: Object, expected: bool) {
        super::super::tests::check(roles, Action::Training(action), object, expected);
    }

    #[test]
    fn training_policy_table() {
        use TrainingAction::*;
        let own = Object::Training { agency_id: 1, trainees: &[] };
        let named = Object::Training { agency_id: 2, trainees: &[10] };
        let other = Object::Training { agency_id: 2, trainees: &[] };
        check(&[Role::HrOfficer], Request, Object::Agency(1), true);
        check(&[Role::Head], Request, Object::Agency(1), true);
        check(&[Role::Employee], Request, Object::Agency(1), false);
        check(&[Role::HrOfficer], Request, Object::Agency(2), false);
        check(&[Role::HrOfficer], Read, own, true);
        check(&[Role::HrOfficer], Read, other, false);
        check(&[Role::Employee], Read, named, true);
        check(&[Role::Employee], Read, own, false);
        check(&[Role::SupportAdmin], Read, other, true);
        check(&[Role::SupportAdmin], Schedule, other, true);
        check(&[Role::HrOfficer], Schedule, own, false);
        check(&[Role::SystemAdmin], Schedule, own, false);
    }
}
