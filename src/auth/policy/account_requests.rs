//! Account requests (I617 §20): an agency's HR officer asks the support service for an
//! account for a newcomer or for a leaver's account to be disabled on a date (the server
//! disables it that day); the system administrator, who creates accounts, approves a
//! newcomer's request (the account is created) or refuses a request with a reason. A
//! request names a person: it is seen by the agency's HR officers and the support and
//! system administrators only.
//!
//! Administration of accounts, like `user.create`: open to the administrators whose
//! roles stand alone (`duties.rs`).

use super::Object;
use crate::actor::UserIdentity;
use crate::auth::roles::Role;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountRequestAction {
    /// File a request for one's own agency.
    Request,
    /// See a request and its outcome.
    Read,
    /// Withdraw a pending request.
    Withdraw,
    /// Approve or refuse a request.
    Decide,
}

pub(super) const ADMINISTRATIVE: &[AccountRequestAction] = AccountRequestAction::ALL;

impl AccountRequestAction {
    pub const ALL: &'static [AccountRequestAction] = &[
        AccountRequestAction::Request,
        AccountRequestAction::Read,
        AccountRequestAction::Withdraw,
        AccountRequestAction::Decide,
    ];

    /// The operation name recorded in the access log.
    pub fn name(self) -> &'static str {
        match self {
            AccountRequestAction::Request => "account_request.file",
            AccountRequestAction::Read => "account_request.read",
            AccountRequestAction::Withdraw => "account_request.withdraw",
            AccountRequestAction::Decide => "account_request.decide",
        }
    }
}

pub(super) fn decide(
    user: &UserIdentity,
    action: AccountRequestAction,
    object: Object<'_>,
) -> bool {
    let has = |r| user.roles.contains(r);
    let administrator = has(Role::SupportAdmin) || has(Role::SystemAdmin);
    // Approving creates the account: the one who creates accounts decides.
    let decider = has(Role::SystemAdmin);
    let hr_of = |agency: u64| has(Role::HrOfficer) && agency == user.agency_id;
    match (action, object) {
        (AccountRequestAction::Request, Object::Agency(a)) => hr_of(a),
        // The list of requests: the agency's HR officer sees theirs, administrators all.
        (AccountRequestAction::Read, Object::Agency(a)) => hr_of(a) || administrator,
        (AccountRequestAction::Read, Object::AccountRequest { agency_id }) => {
            hr_of(agency_id) || administrator
        }
        (AccountRequestAction::Withdraw, Object::AccountRequest { agency_id }) => hr_of(agency_id),
        (AccountRequestAction::Decide, Object::AccountRequest { .. }) => decider,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::super::Action;
    use super::*;

    fn check(roles: &[Role], action: AccountRequestAction, object: Object, expected: bool) {
        super::super::tests::check(roles, Action::AccountRequest(action), object, expected);
    }

    #[test]
    fn account_request_policy_table() {
        use AccountRequestAction::*;
        let own = Object::AccountRequest { agency_id: 1 };
        let other = Object::AccountRequest { agency_id: 2 };
        check(&[Role::HrOfficer], Request, Object::Agency(1), true);
        check(&[Role::HrOfficer], Request, Object::Agency(2), false);
        check(&[Role::Employee], Request, Object::Agency(1), false);
        check(&[Role::Head], Request, Object::Agency(1), false);
        check(&[Role::HrOfficer], Read, own, true);
        check(&[Role::HrOfficer], Read, other, false);
        check(&[Role::Employee], Read, own, false);
        check(&[Role::HrOfficer], Withdraw, own, true);
        check(&[Role::HrOfficer], Decide, own, false);
        check(&[Role::SystemAdmin], Decide, other, true);
        check(&[Role::SupportAdmin], Decide, other, false);
        for admin in [Role::SupportAdmin, Role::SystemAdmin] {
            check(&[admin], Read, other, true);
            check(&[admin], Request, Object::Agency(1), false);
            check(&[admin], Withdraw, other, false);
        }
        check(&[Role::Auditor], Read, own, false);
    }
}
