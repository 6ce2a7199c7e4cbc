//! Headcount monitoring (I385 §26–§28): an agency's HR officer fills and submits its
//! return; the civil-service agency's verifier opens campaigns, keeps the form definition,
//! returns or accepts returns and reads the consolidated report across agencies; the
//! agency's HR officers and head read their own agency's returns and figures.

use super::Object;
use crate::actor::UserIdentity;
use crate::auth::roles::Role;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeadcountAction {
    /// See the campaigns (periods, due dates): every participant.
    ReadCampaigns,
    /// Open a campaign for a period with its due date: the verifier.
    ManageCampaigns,
    /// Publish a new version of the form definition: the verifier.
    ManageForms,
    /// Read a return: its agency's HR officers and head, the verifier.
    ReadReturn,
    /// Fill, correct and submit a return (§26): its agency's HR officer.
    EditReturn,
    /// Sign the return before it is submitted (optional, §26): the head of its agency
    /// (who answers for the figures the HR service prepared).
    SignReturn,
    /// Return a submitted return with comments, or accept it (§27): the verifier.
    ReviewReturn,
    /// Read the consolidated figures (§28): the verifier for every agency
    /// (`Object::Appliance`), an agency's HR officers and head for their own
    /// (`Object::Agency`).
    ReadSummary,
    /// Export a period's returns and import figures into drafts (`ipgo headcount
    /// export|import`): the appliance's operator only — no account's role gives it. An
    /// accepted return stays refused through it (§27, `transfer.rs`).
    Transfer,
}

/// The operator's transfer administers the appliance's data (`duties.rs`); it never
/// accepts, returns or submits a return.
pub(super) const ADMINISTRATIVE: &[HeadcountAction] = &[HeadcountAction::Transfer];

impl HeadcountAction {
    pub const ALL: &'static [HeadcountAction] = &[
        HeadcountAction::ReadCampaigns,
        HeadcountAction::ManageCampaigns,
        HeadcountAction::ManageForms,
        HeadcountAction::ReadReturn,
        HeadcountAction::EditReturn,
        HeadcountAction::SignReturn,
        HeadcountAction::ReviewReturn,
        HeadcountAction::ReadSummary,
        HeadcountAction::Transfer,
    ];

    /// The operation name recorded in the access log.
    pub fn name(self) -> &'static str {
        match self {
            HeadcountAction::ReadCampaigns => "headcount.read_campaigns",
            HeadcountAction::ManageCampaigns => "headcount.manage_campaigns",
            HeadcountAction::ManageForms => "headcount.manage_forms",
            HeadcountAction::ReadReturn => "headcount.read_return",
            HeadcountAction::EditReturn => "headcount.edit_return",
            HeadcountAction::SignReturn => "headcount.sign_return",
            HeadcountAction::ReviewReturn => "headcount.review_return",
            HeadcountAction::ReadSummary => "headcount.read_summary",
            HeadcountAction::Transfer => "headcount.transfer",
        }
    }
}

pub(super) fn decide(user: &UserIdentity, action: HeadcountAction, object: Object<'_>) -> bool {
    // Headcount is official work: administrative roles alone see none of it.
    if !super::is_participant(user) {
        return false;
    }
    let has = |role| user.roles.contains(role);
    let verifier = has(Role::CivilServiceVerifier);
    let agency_staff =
        |agency: u64| user.agency_id == agency && (has(Role::HrOfficer) || has(Role::Head));
    match (action, object) {
        (HeadcountAction::ReadCampaigns, _) => true,
        (HeadcountAction::ManageCampaigns | HeadcountAction::ManageForms, Object::Appliance) => {
            verifier
        }
        (HeadcountAction::ReadReturn, Object::HeadcountReturn { agency }) => {
            verifier || agency_staff(agency)
        }
        (HeadcountAction::EditReturn, Object::HeadcountReturn { agency }) => {
            user.agency_id == agency && has(Role::HrOfficer)
        }
        (HeadcountAction::SignReturn, Object::HeadcountReturn { agency }) => {
            user.agency_id == agency && has(Role::Head)
        }
        (HeadcountAction::ReviewReturn, Object::HeadcountReturn { .. }) => verifier,
        (HeadcountAction::ReadSummary, Object::Appliance) => verifier,
        (HeadcountAction::ReadSummary, Object::Agency(agency)) => verifier || agency_staff(agency),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::super::Action;
    use super::*;

    fn check(roles: &[Role], action: HeadcountAction, object: Object, expected: bool) {
        super::super::tests::check(roles, Action::Headcount(action), object, expected);
    }

    #[test]
    fn headcount_policy_table() {
        use HeadcountAction::*;
        // The test user is id 10 of agency 1.
        let own = Object::HeadcountReturn { agency: 1 };
        let foreign = Object::HeadcountReturn { agency: 2 };
        check(&[Role::Employee], ReadCampaigns, Object::Appliance, true);
        check(&[Role::SystemAdmin], ReadCampaigns, Object::Appliance, false);
        check(&[Role::CivilServiceVerifier], ManageCampaigns, Object::Appliance, true);
        check(&[Role::HrOfficer], ManageCampaigns, Object::Appliance, false);
        check(&[Role::CivilServiceVerifier], ManageForms, Object::Appliance, true);
        check(&[Role::Head], ManageForms, Object::Appliance, false);
        // §26: the HR officer fills the own agency's return, nobody else's.
        check(&[Role::HrOfficer], EditReturn, own, true);
        check(&[Role::HrOfficer], EditReturn, foreign, false);
        check(&[Role::Head], EditReturn, own, false);
        check(&[Role::CivilServiceVerifier], EditReturn, foreign, false);
        check(&[Role::Employee], ReadReturn, own, false);
        check(&[Role::Head], ReadReturn, own, true);
        check(&[Role::HrOfficer], ReadReturn, foreign, false);
        check(&[Role::CivilServiceVerifier], ReadReturn, foreign, true);
        // §26: the agency's head signs its return, nobody else.
        check(&[Role::Head], SignReturn, own, true);
        check(&[Role::Head], SignReturn, foreign, false);
        check(&[Role::HrOfficer], SignReturn, own, false);
        check(&[Role::CivilServiceVerifier], SignReturn, foreign, false);
        // §27: only the civil-service agency's verifier reviews.
        check(&[Role::CivilServiceVerifier], ReviewReturn, foreign, true);
        check(&[Role::HrOfficer, Role::Head], ReviewReturn, own, false);
        // §28: the verifier sees all; an agency its own.
        check(&[Role::CivilServiceVerifier], ReadSummary, Object::Appliance, true);
        check(&[Role::HrOfficer], ReadSummary, Object::Appliance, false);
        check(&[Role::HrOfficer], ReadSummary, Object::Agency(1), true);
        check(&[Role::HrOfficer], ReadSummary, Object::Agency(2), false);
        check(&[Role::Employee], ReadSummary, Object::Agency(1), false);
        check(&[Role::SystemAdmin], ReadSummary, Object::Appliance, false);
        // The transfer is the operator's: no account's role gives it.
        check(&[Role::SystemAdmin], Transfer, Object::Appliance, false);
        check(&[Role::CivilServiceVerifier], Transfer, Object::Appliance, false);
        check(&[Role::HrOfficer], Transfer, Object::Appliance, false);
    }
}
