//! Government meetings (I385 §38–§47): the OKDO officers prepare them (create, compose the
//! agenda, remind, run the meeting, write the minutes); only the officer responsible for a
//! meeting signs its agenda; members answer whether they attend; members, invited persons,
//! substitutes and OKDO officers read the meeting — nobody else learns that it exists.

use super::Object;
use crate::actor::UserIdentity;
use crate::auth::roles::Role;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MeetingAction {
    /// Create a meeting (§38): an OKDO officer.
    Create,
    /// See the meeting, its published agenda, attendance and polls.
    Read,
    /// Compose the agenda, see the attendance sheet, remind, run the meeting (§39–§47): an
    /// OKDO officer.
    Manage,
    /// Sign the agenda and its materials (§40) and the minutes: the officer responsible for
    /// the meeting.
    Sign,
    /// Answer attendance with a signature (§42–§44): a member.
    Answer,
}

impl MeetingAction {
    pub const ALL: &'static [MeetingAction] = &[
        MeetingAction::Create,
        MeetingAction::Read,
        MeetingAction::Manage,
        MeetingAction::Sign,
        MeetingAction::Answer,
    ];

    /// The operation name recorded in the access log.
    pub fn name(self) -> &'static str {
        match self {
            MeetingAction::Create => "meeting.create",
            MeetingAction::Read => "meeting.read",
            MeetingAction::Manage => "meeting.manage",
            MeetingAction::Sign => "meeting.sign",
            MeetingAction::Answer => "meeting.answer",
        }
    }
}

pub(super) fn decide(user: &UserIdentity, action: MeetingAction, object: Object<'_>) -> bool {
    if !super::is_participant(user) {
        return false;
    }
    let okdo = user.roles.contains(Role::OkdoOfficer);
    match (action, object) {
        (MeetingAction::Create, Object::Appliance) => okdo,
        (MeetingAction::Read, Object::Meeting { readers, .. }) => {
            okdo || readers.contains(&user.id)
        }
        (MeetingAction::Manage, Object::Meeting { .. }) => okdo,
        (MeetingAction::Sign, Object::Meeting { responsible, .. }) => {
            okdo && user.id == responsible
        }
        (MeetingAction::Answer, Object::Meeting { members, .. }) => members.contains(&user.id),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::super::Action;
    use super::*;

    fn check(roles: &[Role], action: MeetingAction, object: Object, expected: bool) {
        super::super::tests::check(roles, Action::Meeting(action), object, expected);
    }

    #[test]
    fn meeting_policy_table() {
        // The test user is account 10.
        let responsible = Object::Meeting { responsible: 10, members: &[1], readers: &[1, 10] };
        let other_officer = Object::Meeting { responsible: 11, members: &[1], readers: &[1, 11] };
        let member = Object::Meeting { responsible: 11, members: &[10], readers: &[10, 11] };
        let substitute = Object::Meeting { responsible: 11, members: &[1], readers: &[1, 10] };
        let stranger = Object::Meeting { responsible: 11, members: &[1], readers: &[1, 11] };
        let okdo = &[Role::Employee, Role::OkdoOfficer][..];
        let head = &[Role::Employee, Role::Head][..];
        check(okdo, MeetingAction::Create, Object::Appliance, true);
        check(head, MeetingAction::Create, Object::Appliance, false);
        check(okdo, MeetingAction::Read, other_officer, true);
        check(okdo, MeetingAction::Manage, other_officer, true);
        check(okdo, MeetingAction::Sign, responsible, true);
        check(okdo, MeetingAction::Sign, other_officer, false);
        check(head, MeetingAction::Sign, responsible, false);
        check(head, MeetingAction::Read, member, true);
        check(head, MeetingAction::Answer, member, true);
        check(head, MeetingAction::Manage, member, false);
        check(head, MeetingAction::Read, substitute, true);
        check(head, MeetingAction::Answer, substitute, false);
        check(head, MeetingAction::Read, stranger, false);
        check(&[Role::SystemAdmin], MeetingAction::Read, responsible, false);
        check(&[Role::Auditor], MeetingAction::Read, member, false);
    }
}
