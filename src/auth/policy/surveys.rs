//! Sociological surveys of civil servants (I385 §7.8): authors — "a role the administrator
//! grants; by default heads and HR officers": the `survey_author` role, which only the
//! system administrator grants (it is not an agency role), and heads and HR officers
//! without it — design and run surveys of their agency's choosing; the audience answers.

use super::Object;
use crate::actor::UserIdentity;
use crate::auth::roles::Role;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SurveyAction {
    /// Design a survey in one's own agency (or copy an earlier one).
    Create,
    /// See a survey: its author always, its audience once it is published.
    Read,
    /// Answer it (the audience, once it is published; the time is checked by the service).
    Answer,
    /// Change, open, close it, remind those who have not answered: its author.
    Manage,
    /// Read its results and exports: its author.
    Results,
}

impl SurveyAction {
    pub const ALL: &'static [SurveyAction] = &[
        SurveyAction::Create,
        SurveyAction::Read,
        SurveyAction::Answer,
        SurveyAction::Manage,
        SurveyAction::Results,
    ];

    /// The operation name recorded in the access log.
    pub fn name(self) -> &'static str {
        match self {
            SurveyAction::Create => "survey.create",
            SurveyAction::Read => "survey.read",
            SurveyAction::Answer => "survey.answer",
            SurveyAction::Manage => "survey.manage",
            SurveyAction::Results => "survey.results",
        }
    }
}

/// Who a survey asks, as the policy sees it (the survey's `Audience` in value types).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SurveyAudience<'a> {
    pub everyone: bool,
    pub agencies: &'a [u64],
    pub departments: &'a [u64],
    pub groups: &'a [u64],
    pub roles: &'a [Role],
}

impl SurveyAudience<'_> {
    pub fn includes(&self, u: &UserIdentity) -> bool {
        self.includes_parts(u.agency_id, u.department_id, &u.groups, |r| u.roles.contains(r))
    }

    /// The same rule for a person known by parts (an account of the directory, when the
    /// audience's size is counted).
    pub fn includes_parts(
        &self,
        agency: u64,
        department: Option<u64>,
        groups: &[u64],
        has_role: impl Fn(Role) -> bool,
    ) -> bool {
        self.everyone
            || self.agencies.contains(&agency)
            || department.is_some_and(|d| self.departments.contains(&d))
            || groups.iter().any(|g| self.groups.contains(g))
            || self.roles.iter().any(|r| has_role(*r))
    }
}

/// Whether the person authors surveys (I385 §7.8): the granted role, or by default a head
/// or an HR officer.
pub fn is_author(user: &UserIdentity) -> bool {
    [Role::SurveyAuthor, Role::Head, Role::HrOfficer].iter().any(|r| user.roles.contains(*r))
}

pub(super) fn decide(user: &UserIdentity, action: SurveyAction, object: Object<'_>) -> bool {
    match (action, object) {
        (SurveyAction::Create, Object::Agency(agency)) => {
            agency == user.agency_id && is_author(user)
        }
        (SurveyAction::Read, Object::Survey { author, published, audience, .. }) => {
            author == user.id || (published && audience.includes(user))
        }
        (SurveyAction::Answer, Object::Survey { published, audience, .. }) => {
            published && audience.includes(user)
        }
        // Changing and running a survey needs the authorship still held: a revoked author's
        // drafts stay as they are; the results of what they ran stay theirs to read.
        (SurveyAction::Manage, Object::Survey { author, agency, .. }) => {
            author == user.id && agency == user.agency_id && is_author(user)
        }
        (SurveyAction::Results, Object::Survey { author, agency, .. }) => {
            author == user.id && agency == user.agency_id
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::super::Action;
    use super::*;

    fn check(roles: &[Role], action: SurveyAction, object: Object, expected: bool) {
        super::super::tests::check(roles, Action::Survey(action), object, expected);
    }

    #[test]
    fn survey_policy_table() {
        // The test user is account 10 of agency 1, in no department and no group.
        let nobody = SurveyAudience {
            everyone: false,
            agencies: &[],
            departments: &[],
            groups: &[],
            roles: &[],
        };
        let agency1 = SurveyAudience { agencies: &[1], ..nobody };
        let heads = SurveyAudience { roles: &[Role::Head], ..nobody };
        let survey =
            |author, published, audience| Object::Survey { author, agency: 1, published, audience };
        check(&[Role::Head], SurveyAction::Create, Object::Agency(1), true);
        check(&[Role::HrOfficer], SurveyAction::Create, Object::Agency(1), true);
        check(&[Role::Employee], SurveyAction::Create, Object::Agency(1), false);
        check(&[Role::Head], SurveyAction::Create, Object::Agency(2), false);
        check(&[Role::Auditor], SurveyAction::Create, Object::Agency(1), false);
        // The role the administrator grants makes an employee an author; in their agency only.
        check(&[Role::Employee, Role::SurveyAuthor], SurveyAction::Create, Object::Agency(1), true);
        check(&[Role::SurveyAuthor], SurveyAction::Create, Object::Agency(2), false);
        // Without it (revoked) the survey is no longer changed or opened; its results stay.
        check(&[Role::Employee], SurveyAction::Manage, survey(10, false, nobody), false);
        check(&[Role::Employee], SurveyAction::Results, survey(10, true, nobody), true);
        check(&[Role::SurveyAuthor], SurveyAction::Manage, survey(10, false, nobody), true);
        // The author sees and runs their own survey, drafts included.
        check(&[Role::Head], SurveyAction::Read, survey(10, false, nobody), true);
        check(&[Role::Head], SurveyAction::Manage, survey(10, false, nobody), true);
        check(&[Role::Head], SurveyAction::Results, survey(10, true, nobody), true);
        check(&[Role::Head], SurveyAction::Answer, survey(10, true, nobody), false);
        // The audience sees a published survey and answers it; never a draft.
        check(&[Role::Employee], SurveyAction::Read, survey(11, true, agency1), true);
        check(&[Role::Employee], SurveyAction::Answer, survey(11, true, agency1), true);
        check(&[Role::Employee], SurveyAction::Read, survey(11, false, agency1), false);
        check(&[Role::Employee], SurveyAction::Answer, survey(11, false, agency1), false);
        check(&[Role::Employee], SurveyAction::Results, survey(11, true, agency1), false);
        check(&[Role::Employee], SurveyAction::Manage, survey(11, true, agency1), false);
        // By role; outside the audience nothing.
        check(&[Role::Head], SurveyAction::Answer, survey(11, true, heads), true);
        check(&[Role::Employee], SurveyAction::Read, survey(11, true, heads), false);
        check(&[Role::Employee], SurveyAction::Answer, survey(11, true, nobody), false);
        // Administrators take part in no survey (separation of duties).
        let everyone = SurveyAudience { everyone: true, ..nobody };
        check(&[Role::SystemAdmin], SurveyAction::Answer, survey(11, true, everyone), false);
    }
}
