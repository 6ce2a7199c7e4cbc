//! Access control in one place: `require(actor, action, object)`.
//!
//! Handlers and services never decide access themselves; they call [`require`]. Every
//! action is a variant of the closed [`Action`] enum (listed in `Action::ALL`), and
//! [`decide`] is a pure function of the actor, the action and the object, so the whole
//! policy can be read — and tested as a table — here.
//!
//! Separation of duties: the system administrator and the machine operator manage the
//! appliance (agencies, accounts, configuration) but hold no right to read documents; the
//! auditor reads the access log but changes nothing.

use crate::actor::{Actor, UserIdentity, Who};
use crate::auth::roles::Role;
use crate::error::{Error, Result};
use crate::portal::documents::model::AccessRule;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// See the staff directory and agency list.
    DirectoryRead,
    /// Create or rename agencies.
    AgencyManage,
    /// Create or rename an agency's departments.
    DepartmentManage,
    /// See an account's administrative record (status, roles, lock state).
    UserAdminView,
    /// Create an account in an agency.
    UserCreate,
    /// Edit someone's directory entry (names, position, contacts, department).
    UserEdit,
    /// Give or take a role.
    RoleGrant(Role),
    /// Disable or re-enable an account.
    UserDisable,
    /// Set a one-time password and unlock an account.
    UserResetPassword,
    /// Edit one's own contacts, language and password.
    ProfileEditOwn,
    /// Create working groups and set their members.
    GroupManage,
    /// Read the access log in the viewer.
    AuditRead,
    /// Export the access log.
    AuditExport,
    /// Check the access log's integrity.
    AuditVerify,
    /// Health details, metrics.
    SystemMonitor,
    /// Make data and key backups.
    BackupCreate,
    /// Schedule or cancel planned maintenance (I617 §17).
    MaintenanceSchedule,
    /// Post a document in one's agency.
    DocumentCreate,
    /// Read a document, its versions, files and comments.
    DocumentRead,
    /// Post a new version (collaborative work, I385 §6.5).
    DocumentEdit,
    /// Comment on a document.
    DocumentComment,
    /// Destroy a document for good (I385 §6.8).
    DocumentDestroy,
    /// See a draft legal act and its approval sheet (I385 §12–§25).
    DraftRead,
    /// Post a revised version or a disagreement protocol for the developer agency (§17–§18).
    DraftDevelop,
    /// Sign the draft as the developer agency's head (§14) or its side of a protocol (§17).
    DraftDeveloperSign,
    /// Register the cover letter in an approving agency's office (§16).
    DraftRegisterLetter,
    /// Decide for an approving agency as its head: working group, approval with a
    /// signature, reasoned rejection, its side of a protocol (§16–§17).
    DraftApprove,
    /// The Chancellery's document-control steps: check, minutes, vote, final status (§20–§25).
    DraftChancellery,
    /// Vote for or against in an absentee vote (§22–§24).
    DraftVote,
    /// See the trusted CAs and CRLs (I385 §57).
    TrustRead,
    /// Add or remove trusted CA certificates, install CRLs.
    TrustManage,
    /// Register a signing certificate to an account at once, confirm a user's request,
    /// revoke any registration (an administrator's act, §57).
    CertificateManage,
    /// Ask to register one's own signing certificate (pending an administrator's
    /// confirmation) or revoke one's own registration (lost key).
    CertificateOwn,
    /// See an account's registered signing certificates.
    CertificateView,
    /// Rebuild the search index from the store (it holds nothing the store does not).
    SearchReindex,
}

impl Action {
    pub const ALL: &'static [Action] = &[
        Action::DirectoryRead,
        Action::AgencyManage,
        Action::DepartmentManage,
        Action::UserAdminView,
        Action::UserCreate,
        Action::UserEdit,
        Action::RoleGrant(Role::Employee),
        Action::UserDisable,
        Action::UserResetPassword,
        Action::ProfileEditOwn,
        Action::GroupManage,
        Action::AuditRead,
        Action::AuditExport,
        Action::AuditVerify,
        Action::SystemMonitor,
        Action::BackupCreate,
        Action::MaintenanceSchedule,
        Action::DocumentCreate,
        Action::DocumentRead,
        Action::DocumentEdit,
        Action::DocumentComment,
        Action::DocumentDestroy,
        Action::DraftRead,
        Action::DraftDevelop,
        Action::DraftDeveloperSign,
        Action::DraftRegisterLetter,
        Action::DraftApprove,
        Action::DraftChancellery,
        Action::DraftVote,
        Action::TrustRead,
        Action::TrustManage,
        Action::CertificateManage,
        Action::CertificateOwn,
        Action::CertificateView,
        Action::SearchReindex,
    ];

    /// The operation name recorded in the access log.
    pub fn name(self) -> String {
        match self {
            Action::DirectoryRead => "directory.read".into(),
            Action::AgencyManage => "agency.manage".into(),
            Action::DepartmentManage => "department.manage".into(),
            Action::UserAdminView => "user.admin_view".into(),
            Action::UserCreate => "user.create".into(),
            Action::UserEdit => "user.edit".into(),
            Action::RoleGrant(role) => format!("role.grant.{}", role.name()),
            Action::UserDisable => "user.disable".into(),
            Action::UserResetPassword => "user.reset_password".into(),
            Action::ProfileEditOwn => "profile.edit".into(),
            Action::GroupManage => "group.manage".into(),
            Action::AuditRead => "audit.read".into(),
            Action::AuditExport => "audit.export".into(),
            Action::AuditVerify => "audit.verify".into(),
            Action::SystemMonitor => "system.monitor".into(),
            Action::BackupCreate => "backup.create".into(),
            Action::MaintenanceSchedule => "maintenance.schedule".into(),
            Action::DocumentCreate => "document.create".into(),
            Action::DocumentRead => "document.read".into(),
            Action::DocumentEdit => "document.edit".into(),
            Action::DocumentComment => "document.comment".into(),
            Action::DocumentDestroy => "document.destroy".into(),
            Action::DraftRead => "draft.read".into(),
            Action::DraftDevelop => "draft.develop".into(),
            Action::DraftDeveloperSign => "draft.developer_sign".into(),
            Action::DraftRegisterLetter => "draft.register_letter".into(),
            Action::DraftApprove => "draft.approve".into(),
            Action::DraftChancellery => "draft.chancellery".into(),
            Action::DraftVote => "draft.vote".into(),
            Action::TrustRead => "trust.read".into(),
            Action::TrustManage => "trust.manage".into(),
            Action::CertificateManage => "certificate.manage".into(),
            Action::CertificateOwn => "certificate.own".into(),
            Action::CertificateView => "certificate.view".into(),
            Action::SearchReindex => "search.reindex".into(),
        }
    }
}

/// What an action is applied to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Object<'a> {
    /// The appliance as a whole (agency list, log, configuration).
    Appliance,
    /// An agency and everything administrative inside it.
    Agency(u64),
    /// One account, in its agency.
    User { id: u64, agency_id: u64 },
    /// A document: its owner, author and access rule.
    Document { agency_id: u64, author_id: u64, access: &'a AccessRule },
    /// A draft legal act: the developer agency, the approving agencies, the heads called to
    /// an absentee vote.
    Draft { developer: u64, approving: &'a [u64], voters: &'a [u64] },
}

impl Object<'_> {
    fn agency(self) -> Option<u64> {
        match self {
            Object::Appliance => None,
            Object::Agency(id)
            | Object::User { agency_id: id, .. }
            | Object::Document { agency_id: id, .. }
            | Object::Draft { developer: id, .. } => Some(id),
        }
    }
}

/// Roles an agency's HR officer may give within their own agency; the others are given by
/// the system administrator only.
const AGENCY_ROLES: &[Role] =
    &[Role::Employee, Role::Head, Role::HrOfficer, Role::PlanResponsible, Role::Controller];

/// Checks the permission and names the operation in the access log. Denial is an
/// `Error::forbidden()`; the HTTP layer logs it with status 403.
pub fn require(actor: &Actor, action: Action, object: Object<'_>) -> Result<()> {
    actor.origin.set_operation(&action.name());
    if decide(actor, action, object) { Ok(()) } else { Err(Error::forbidden()) }
}

/// The principal terms a search by `user` may match (access control inside the query,
/// I385 §6.6), agreeing with [`Action::DocumentRead`]: a participant's terms
/// ([`crate::portal::documents::model::principals_of`]); for someone holding administrative
/// roles only, just their own (documents they wrote or that name them).
pub fn search_principals(user: &UserIdentity) -> Vec<String> {
    if is_participant(user) {
        crate::portal::documents::model::principals_of(user)
    } else {
        vec![format!("user:{}", user.id)]
    }
}

/// Whether the actor may perform the action; pure.
pub fn decide(actor: &Actor, action: Action, object: Object<'_>) -> bool {
    match &actor.who {
        Who::User(user) => decide_user(user, action, object),
        // The operator holds the machine; everything administrative, nothing documentary,
        // and nothing that acts on an own account (the operator has none).
        Who::Operator { .. } => !is_own_account_action(action) && !is_documentary(action),
        // Background jobs use explicitly named service functions, not user actions.
        Who::System(_) => false,
        Who::Anonymous => false,
    }
}

/// Whether the person works with documents at all (holds a role other than the purely
/// administrative ones).
fn is_participant(user: &UserIdentity) -> bool {
    user.roles.iter().any(|r| !matches!(r, Role::SystemAdmin | Role::SupportAdmin | Role::Auditor))
}

/// Actions on document content: never granted by an administrative role.
fn is_documentary(action: Action) -> bool {
    matches!(
        action,
        Action::DocumentCreate
            | Action::DocumentRead
            | Action::DocumentEdit
            | Action::DocumentComment
            | Action::DocumentDestroy
            | Action::DraftRead
            | Action::DraftDevelop
            | Action::DraftDeveloperSign
            | Action::DraftRegisterLetter
            | Action::DraftApprove
            | Action::DraftChancellery
            | Action::DraftVote
    )
}

/// Actions a person takes on their own account only.
fn is_own_account_action(action: Action) -> bool {
    matches!(action, Action::ProfileEditOwn | Action::CertificateOwn)
}

fn decide_user(user: &UserIdentity, action: Action, object: Object<'_>) -> bool {
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
        Action::DocumentCreate => own_agency && (has(Role::Employee) || has(Role::Head)),
        // Administrative roles alone (system or support administrator, auditor) read no
        // documents: only a rule naming the person grants it (separation of duties).
        Action::DocumentRead | Action::DocumentComment => match object {
            Object::Document { author_id, access, .. } => {
                author_id == user.id
                    || access.users.contains(&user.id)
                    || (is_participant(user) && access.admits(user))
            }
            _ => false,
        },
        // Collaborative work: the author, the owning agency's head, and the working groups
        // the document is shared with may post new versions.
        Action::DocumentEdit => match object {
            Object::Document { author_id, access, .. } => {
                author_id == user.id
                    || (own_agency && has(Role::Head))
                    || user.groups.iter().any(|g| access.groups.contains(g))
            }
            _ => false,
        },
        // I385 §6.8: the author or the head of the owning agency.
        Action::DocumentDestroy => match object {
            Object::Document { author_id, .. } => {
                author_id == user.id || (own_agency && has(Role::Head))
            }
            _ => false,
        },
        // Draft legal acts (I385 §12–§25): each party acts in its own role only.
        Action::DraftRead => match object {
            Object::Draft { developer, approving, voters } => {
                user.agency_id == developer
                    || approving.contains(&user.agency_id)
                    || voters.contains(&user.id)
                    || has(Role::OkdoOfficer)
            }
            _ => false,
        },
        Action::DraftDevelop => match object {
            Object::Draft { developer, .. } => {
                user.agency_id == developer && (has(Role::Employee) || has(Role::Head))
            }
            _ => false,
        },
        Action::DraftDeveloperSign => match object {
            Object::Draft { developer, .. } => user.agency_id == developer && has(Role::Head),
            _ => false,
        },
        Action::DraftRegisterLetter => match object {
            Object::Draft { approving, .. } => {
                approving.contains(&user.agency_id) && (has(Role::Employee) || has(Role::Head))
            }
            _ => false,
        },
        Action::DraftApprove => match object {
            Object::Draft { approving, .. } => {
                approving.contains(&user.agency_id) && has(Role::Head)
            }
            _ => false,
        },
        Action::DraftChancellery => {
            matches!(object, Object::Draft { .. }) && has(Role::OkdoOfficer)
        }
        Action::DraftVote => match object {
            Object::Draft { voters, .. } => voters.contains(&user.id) && has(Role::Head),
            _ => false,
        },
        // Which CAs are trusted is no secret: everyone sees why a signature was refused.
        Action::TrustRead => true,
        Action::TrustManage | Action::CertificateManage | Action::SearchReindex => admin,
        Action::CertificateOwn => matches!(object, Object::User { id, .. } if id == user.id),
        Action::CertificateView => {
            admin
                || has(Role::Auditor)
                || matches!(object, Object::User { id, .. } if id == user.id)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actor::{Origin, UserIdentity};
    use crate::auth::roles::RoleSet;

    fn user(agency_id: u64, roles: &[Role]) -> Actor {
        Actor {
            who: Who::User(UserIdentity {
                id: 10,
                login: "u".into(),
                agency_id,
                agency_code: "A".into(),
                department_id: None,
                roles: roles.iter().copied().collect::<RoleSet>(),
                groups: vec![],
                lang: "ru".into(),
                must_change_password: false,
            }),
            origin: Origin::system("test"),
        }
    }

    /// (roles, action, object, allowed)
    fn check(roles: &[Role], action: Action, object: Object, expected: bool) {
        let actor = user(1, roles);
        assert_eq!(decide(&actor, action, object), expected, "{roles:?} {action:?} {object:?}");
    }

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
    fn document_policy_table() {
        let agency_only = AccessRule::whole_agency(1);
        let elsewhere = AccessRule::whole_agency(2);
        let mine = Object::Document { agency_id: 1, author_id: 10, access: &elsewhere };
        let colleagues = Object::Document { agency_id: 1, author_id: 99, access: &agency_only };
        let foreign = Object::Document { agency_id: 2, author_id: 99, access: &elsewhere };
        check(&[Role::Employee], Action::DocumentCreate, Object::Agency(1), true);
        check(&[Role::Employee], Action::DocumentCreate, Object::Agency(2), false);
        check(&[Role::Auditor], Action::DocumentCreate, Object::Agency(1), false);
        check(&[Role::Employee], Action::DocumentRead, mine, true);
        check(&[Role::Employee], Action::DocumentRead, colleagues, true);
        check(&[Role::Employee], Action::DocumentRead, foreign, false);
        check(&[Role::SystemAdmin], Action::DocumentRead, foreign, false);
        let everyone = AccessRule::everyone();
        let public = Object::Document { agency_id: 2, author_id: 99, access: &everyone };
        check(&[Role::SystemAdmin], Action::DocumentRead, public, false);
        check(&[Role::Auditor], Action::DocumentRead, public, false);
        check(&[Role::SystemAdmin, Role::Employee], Action::DocumentRead, public, true);
        let named = AccessRule { users: vec![10], ..Default::default() };
        let grant = Object::Document { agency_id: 2, author_id: 99, access: &named };
        check(&[Role::SystemAdmin], Action::DocumentRead, grant, true);
        check(&[Role::Employee], Action::DocumentEdit, colleagues, false);
        check(&[Role::Head], Action::DocumentEdit, colleagues, true);
        check(&[Role::Employee], Action::DocumentDestroy, mine, true);
        check(&[Role::Employee], Action::DocumentDestroy, colleagues, false);
        check(&[Role::Head], Action::DocumentDestroy, colleagues, true);
        check(&[Role::Head], Action::DocumentDestroy, foreign, false);
    }

    #[test]
    fn draft_policy_table() {
        let approving = [2u64, 3];
        let voters = [10u64];
        let draft = Object::Draft { developer: 1, approving: &approving, voters: &voters };
        check(&[Role::Employee], Action::DraftRead, draft, true);
        check(&[Role::Employee], Action::DraftDevelop, draft, true);
        check(&[Role::Employee], Action::DraftDeveloperSign, draft, false);
        check(&[Role::Head], Action::DraftDeveloperSign, draft, true);
        check(&[Role::Head], Action::DraftApprove, draft, false);
        check(&[Role::Head], Action::DraftVote, draft, true);
        check(&[Role::OkdoOfficer], Action::DraftChancellery, draft, true);
        check(&[Role::Head], Action::DraftChancellery, draft, false);
        let foreign = Object::Draft { developer: 7, approving: &approving, voters: &[] };
        check(&[Role::Employee], Action::DraftRead, foreign, false);
        check(&[Role::OkdoOfficer], Action::DraftRead, foreign, true);
        let mine_to_approve = Object::Draft { developer: 7, approving: &[1], voters: &[] };
        check(&[Role::Employee], Action::DraftRegisterLetter, mine_to_approve, true);
        check(&[Role::Employee], Action::DraftApprove, mine_to_approve, false);
        check(&[Role::Head], Action::DraftApprove, mine_to_approve, true);
    }

    #[test]
    fn operator_administers_but_anonymous_and_jobs_get_nothing() {
        let operator =
            Actor { who: Who::Operator { os_user: "root".into() }, origin: Origin::system("t") };
        let anonymous = Actor { who: Who::Anonymous, origin: Origin::system("t") };
        let everyone = AccessRule::everyone();
        let doc = Object::Document { agency_id: 5, author_id: 1, access: &everyone };
        for action in Action::ALL {
            assert!(!decide(&anonymous, *action, Object::Appliance));
            assert!(!decide(&anonymous, *action, doc));
            if is_documentary(*action) {
                assert!(!decide(&operator, *action, doc), "the operator never reads documents");
            }
            assert_eq!(
                decide(&operator, *action, Object::Agency(5)),
                !is_own_account_action(*action) && !is_documentary(*action),
                "{action:?}"
            );
        }
    }

    #[test]
    fn i385_57_trust_store_and_registration_belong_to_administrators() {
        let me = Object::User { id: 10, agency_id: 1 };
        let colleague = Object::User { id: 11, agency_id: 1 };
        check(&[Role::SystemAdmin], Action::TrustManage, Object::Appliance, true);
        check(&[Role::SupportAdmin], Action::TrustManage, Object::Appliance, false);
        check(&[Role::HrOfficer], Action::TrustManage, Object::Appliance, false);
        check(&[Role::Employee], Action::TrustRead, Object::Appliance, true);
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

    /// I385 §6.6: the terms a search may match admit exactly what `DocumentRead` admits.
    #[test]
    fn search_principals_agree_with_document_read() {
        use crate::portal::documents::model::AccessRule;
        let rules = [
            AccessRule::everyone(),
            AccessRule::whole_agency(1),
            AccessRule::whole_agency(2),
            AccessRule { users: vec![10], ..Default::default() },
            AccessRule { groups: vec![4], ..Default::default() },
        ];
        for roles in [&[Role::Employee][..], &[Role::SystemAdmin], &[Role::Auditor, Role::Head]] {
            let actor = user(1, roles);
            let terms = search_principals(actor.user().unwrap());
            for rule in &rules {
                for author in [10, 11] {
                    let object = Object::Document { agency_id: 1, author_id: author, access: rule };
                    let matches = rule.principals(author).iter().any(|p| terms.contains(p));
                    assert_eq!(
                        matches,
                        decide(&actor, Action::DocumentRead, object),
                        "{roles:?} {rule:?} author {author}"
                    );
                }
            }
        }
    }

    #[test]
    fn require_names_the_operation_even_when_denied() {
        let actor = user(1, &[Role::Employee]);
        assert!(require(&actor, Action::AgencyManage, Object::Appliance).is_err());
        assert_eq!(actor.origin.operation().as_deref(), Some("agency.manage"));
    }
}
