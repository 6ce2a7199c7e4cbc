//! Administration of the portal: directory, accounts and roles, working groups, the access
//! log, monitoring, backups, maintenance, trust store and registered certificates.

use super::{AGENCY_ROLES, Action, Object};
use crate::actor::UserIdentity;
use crate::auth::roles::Role;

pub(super) fn decide(user: &UserIdentity, action: Action, object: Object<'_>) -> bool {
    let has = |role| user.roles.contains(role);
    let own_agency = object.agency() == Some(user.agency_id);
    let admin = has(Role::SystemAdmin);
    match action {
        Action::DirectoryRead => true,
        Action::AgencyManage => admin,
        Action::DepartmentManage | Action::UserCreate | Action::UserEdit | Action::UserDisable => {
            admin || (has(Role::HrOfficer) && own_agency)
        }
        Action::UserAdminView => {
            admin || has(Role::SupportAdmin) || (has(Role::HrOfficer) && own_agency)
        }
        Action::RoleGrant(role) => {
            admin || (has(Role::HrOfficer) && own_agency && AGENCY_ROLES.contains(&role))
        }
        Action::UserResetPassword => admin || has(Role::SupportAdmin),
        Action::ProfileEditOwn => {
            matches!(object, Object::User { id, .. } if id == user.id)
        }
        Action::GroupManage => admin || ((has(Role::Head) || has(Role::HrOfficer)) && own_agency),
        Action::AuditRead | Action::AuditExport => has(Role::Auditor),
        Action::AuditVerify => has(Role::Auditor) || admin,
        Action::SystemMonitor => admin || has(Role::SupportAdmin),
        // Backups run from the machine (operator); in the portal only the system admin.
        Action::BackupCreate | Action::MaintenanceSchedule => admin,
        // Which CAs are trusted is no secret: everyone sees why a signature was refused.
        Action::TrustRead => true,
        // The guides describe the portal, not anyone's data: every signed-in person.
        Action::HelpRead => true,
        Action::TrustManage | Action::CertificateManage | Action::SearchReindex => admin,
        Action::CertificateOwn => matches!(object, Object::User { id, .. } if id == user.id),
        Action::CertificateView => {
            admin
                || has(Role::Auditor)
                || matches!(object, Object::User { id, .. } if id == user.id)
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::check;
    use super::*;

    #[test]
    fn policy_table() {
        let own = Object::Agency(1);
        let other = Object::Agency(2);
        let other_user = Object::User { id: 99, agency_id: 2 };
        check(&[Role::Employee], Action::DirectoryRead, Object::Appliance, true);
        check(&[Role::Employee], Action::UserCreate, own, false);
        check(&[Role::HrOfficer], Action::UserCreate, own, true);
        check(&[Role::HrOfficer], Action::UserCreate, other, false);
        check(&[Role::HrOfficer], Action::UserEdit, other_user, false);
        check(&[Role::HrOfficer], Action::RoleGrant(Role::Head), own, true);
        check(&[Role::HrOfficer], Action::RoleGrant(Role::SystemAdmin), own, false);
        check(&[Role::HrOfficer], Action::RoleGrant(Role::Auditor), own, false);
        check(&[Role::SystemAdmin], Action::RoleGrant(Role::Auditor), other, true);
        check(&[Role::SystemAdmin], Action::AuditRead, Object::Appliance, false);
        check(&[Role::Auditor], Action::AuditRead, Object::Appliance, true);
        check(&[Role::Auditor], Action::UserCreate, own, false);
        check(&[Role::SupportAdmin], Action::UserResetPassword, other_user, true);
        check(&[Role::SupportAdmin], Action::UserDisable, other_user, false);
        check(&[Role::Head], Action::GroupManage, own, true);
        check(&[Role::Head], Action::GroupManage, other, false);
        check(&[Role::SystemAdmin], Action::MaintenanceSchedule, Object::Appliance, true);
        check(&[Role::SupportAdmin], Action::MaintenanceSchedule, Object::Appliance, false);
        check(&[Role::Employee], Action::SystemMonitor, Object::Appliance, false);
        check(&[Role::SupportAdmin], Action::SystemMonitor, Object::Appliance, true);
        check(&[Role::SupportAdmin], Action::BackupCreate, Object::Appliance, false);
        check(
            &[Role::Employee],
            Action::ProfileEditOwn,
            Object::User { id: 10, agency_id: 1 },
            true,
        );
        check(
            &[Role::Employee],
            Action::ProfileEditOwn,
            Object::User { id: 11, agency_id: 1 },
            false,
        );
    }

    #[test]
    fn i385_57_trust_store_and_registration_belong_to_administrators() {
        let me = Object::User { id: 10, agency_id: 1 };
        let colleague = Object::User { id: 11, agency_id: 1 };
        check(&[Role::SystemAdmin], Action::TrustManage, Object::Appliance, true);
        check(&[Role::SupportAdmin], Action::TrustManage, Object::Appliance, false);
        check(&[Role::HrOfficer], Action::TrustManage, Object::Appliance, false);
        check(&[Role::Employee], Action::TrustRead, Object::Appliance, true);
        check(&[Role::Employee], Action::HelpRead, Object::Appliance, true);
        check(&[Role::Auditor], Action::HelpRead, Object::Appliance, true);
        check(&[Role::SystemAdmin], Action::CertificateManage, colleague, true);
        check(&[Role::HrOfficer], Action::CertificateManage, colleague, false);
        check(&[Role::Head], Action::CertificateManage, me, false);
        check(&[Role::Employee], Action::CertificateOwn, me, true);
        check(&[Role::Employee], Action::CertificateOwn, colleague, false);
        check(&[Role::Employee], Action::CertificateView, me, true);
        check(&[Role::Employee], Action::CertificateView, colleague, false);
        check(&[Role::Auditor], Action::CertificateView, colleague, true);
        check(&[Role::SystemAdmin], Action::SearchReindex, Object::Appliance, true);
        check(&[Role::Head, Role::Employee], Action::SearchReindex, Object::Appliance, false);
    }
}
