//! Access control in one place: `require(actor, action, object)`.
//!
//! Handlers and services never decide access themselves; they call [`require`]. Every
//! action is a variant of the closed [`Action`] enum (listed by `Action::all()`), and
//! [`decide`] is a pure function of the actor, the action and the object, so the whole
//! policy can be read — and tested as a table — here.
//!
//! One file per feature: a portal feature's actions are a closed enum of their own in
//! `policy/<feature>.rs` (its `ALL`, `name()`, `decide()` and its table test), wrapped by
//! one variant of [`Action`] (`Action::Draft(DraftAction)`); this file only lists the
//! wrappers in `all()`, `name()` and `decide_user()`, and the objects in [`Object`].
//!
//! Existence not revealed: [`require`] refuses an object the person may not even read (its
//! [`Object::revealed_by`] action) with `not_found`, exactly as for a missing id, and marks
//! the request so the access log still records a denial. A feature's confidential object
//! names its read action there; services then need nothing else.
//!
//! Separation of duties (`duties.rs`): the system administrator, the support administrator
//! and the auditor must each be an account's only role, and an account holding one of them
//! takes administrative actions only ([`Action::is_administrative`]); the machine operator
//! likewise. Every feature action is work on documents or workflows — out of their reach —
//! unless the feature's file lists it in its `ADMINISTRATIVE` slice and
//! `is_administrative` consults it: a new feature inherits the rule by doing nothing.

use crate::actor::{Actor, UserIdentity, Who};
use crate::auth::roles::Role;
use crate::error::{Error, Result};
use crate::portal::documents::model::AccessRule;

mod account_requests;
mod administration;
mod calendar;
mod directory_sync;
mod discussions;
mod documents;
mod drafts;
pub mod duties;
mod headcount;
pub mod helpdesk;
mod meetings;
mod plans;
mod polls;
mod proposals;
mod reminders;
pub mod surveys;
mod trainings;
mod usage;

pub use account_requests::AccountRequestAction;
pub use calendar::CalendarAction;
pub use directory_sync::DirectorySyncAction;
pub use discussions::DiscussionAction;
pub use drafts::DraftAction;
pub use headcount::HeadcountAction;
pub use helpdesk::HelpdeskAction;
pub use meetings::MeetingAction;
pub use plans::PlanAction;
pub use polls::PollAction;
pub use proposals::ProposalAction;
pub use reminders::ReminderAction;
pub use surveys::{SurveyAction, SurveyAudience};
pub use trainings::TrainingAction;
pub use usage::UsageAction;

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
    /// Draft legal acts (I385 §12–§25): `drafts.rs`.
    Draft(DraftAction),
    /// The working-day calendar: `calendar.rs`.
    Calendar(CalendarAction),
    /// Polls of the voting engine: `polls.rs`.
    Poll(PollAction),
    /// Discussions of documents (I385 §7.6, §52–§54): `discussions.rs`.
    Discussion(DiscussionAction),
    /// The helpdesk (I617 §13–§16): `helpdesk.rs`.
    Helpdesk(HelpdeskAction),
    /// Account requests for newcomers and leavers (I617 §20): `account_requests.rs`.
    AccountRequest(AccountRequestAction),
    /// Training requests and sessions (I617 §19): `trainings.rs`.
    Training(TrainingAction),
    /// Improvement proposals (I617 §39–§41): `proposals.rs`.
    Proposal(ProposalAction),
    /// Usage of the portal per agency (I617 §22): `usage.rs`.
    Usage(UsageAction),
    /// Sign-in against the agencies' directories and their synchronisation:
    /// `directory_sync.rs`.
    DirectorySync(DirectorySyncAction),
    /// Action plans (I385 §29–§37): `plans.rs`.
    Plan(PlanAction),
    /// Headcount monitoring (I385 §26–§28): `headcount.rs`.
    Headcount(HeadcountAction),
    /// Reminders of control instructions (I385 §48–§51): `reminders.rs`.
    Reminder(ReminderAction),
    /// Government meetings (I385 §38–§47): `meetings.rs`.
    Meeting(MeetingAction),
    /// Sociological surveys (I385 §7.8): `surveys.rs`.
    Survey(SurveyAction),
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
    /// Read the guides the portal serves (`/help`).
    HelpRead,
}

impl Action {
    /// Every action: the platform's own, then each feature's.
    pub fn all() -> Vec<Action> {
        let mut all = Self::PLATFORM.to_vec();
        all.extend(DraftAction::ALL.iter().map(|a| Action::Draft(*a)));
        all.extend(CalendarAction::ALL.iter().map(|a| Action::Calendar(*a)));
        all.extend(PollAction::ALL.iter().map(|a| Action::Poll(*a)));
        all.extend(DiscussionAction::ALL.iter().map(|a| Action::Discussion(*a)));
        all.extend(HelpdeskAction::ALL.iter().map(|a| Action::Helpdesk(*a)));
        all.extend(AccountRequestAction::ALL.iter().map(|a| Action::AccountRequest(*a)));
        all.extend(TrainingAction::ALL.iter().map(|a| Action::Training(*a)));
        all.extend(ProposalAction::ALL.iter().map(|a| Action::Proposal(*a)));
        all.extend(UsageAction::ALL.iter().map(|a| Action::Usage(*a)));
        all.extend(DirectorySyncAction::ALL.iter().map(|a| Action::DirectorySync(*a)));
        all.extend(PlanAction::ALL.iter().map(|a| Action::Plan(*a)));
        all.extend(HeadcountAction::ALL.iter().map(|a| Action::Headcount(*a)));
        all.extend(ReminderAction::ALL.iter().map(|a| Action::Reminder(*a)));
        all.extend(MeetingAction::ALL.iter().map(|a| Action::Meeting(*a)));
        all.extend(SurveyAction::ALL.iter().map(|a| Action::Survey(*a)));
        all
    }

    /// The platform's actions (directory, accounts, documents, log, appliance).
    const PLATFORM: &'static [Action] = &[
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
        Action::TrustRead,
        Action::TrustManage,
        Action::CertificateManage,
        Action::CertificateOwn,
        Action::CertificateView,
        Action::SearchReindex,
        Action::HelpRead,
    ];

    /// Whether the action administers the portal (directory, accounts, the log, the
    /// appliance, one's own account) rather than reading or changing documents or
    /// workflows. Only administrative actions are open to accounts holding a role that must
    /// stand alone, and to the operator. Everything not listed here — the documents' actions
    /// and every feature's — is work on documents and workflows, unless the feature's file
    /// marks it in its `ADMINISTRATIVE` slice.
    pub fn is_administrative(self) -> bool {
        match self {
            Action::DirectoryRead
            | Action::AgencyManage
            | Action::DepartmentManage
            | Action::UserAdminView
            | Action::UserCreate
            | Action::UserEdit
            | Action::RoleGrant(_)
            | Action::UserDisable
            | Action::UserResetPassword
            | Action::ProfileEditOwn
            | Action::GroupManage
            | Action::AuditRead
            | Action::AuditExport
            | Action::AuditVerify
            | Action::SystemMonitor
            | Action::BackupCreate
            | Action::MaintenanceSchedule
            | Action::TrustRead
            | Action::TrustManage
            | Action::CertificateManage
            | Action::CertificateOwn
            | Action::CertificateView
            | Action::SearchReindex
            | Action::HelpRead => true,
            Action::Draft(a) => drafts::ADMINISTRATIVE.contains(&a),
            Action::Calendar(a) => calendar::ADMINISTRATIVE.contains(&a),
            Action::Reminder(a) => reminders::ADMINISTRATIVE.contains(&a),
            Action::Helpdesk(a) => helpdesk::ADMINISTRATIVE.contains(&a),
            Action::AccountRequest(a) => account_requests::ADMINISTRATIVE.contains(&a),
            Action::Training(a) => trainings::ADMINISTRATIVE.contains(&a),
            Action::Proposal(a) => proposals::ADMINISTRATIVE.contains(&a),
            Action::Usage(a) => usage::ADMINISTRATIVE.contains(&a),
            Action::DirectorySync(a) => directory_sync::ADMINISTRATIVE.contains(&a),
            Action::Headcount(a) => headcount::ADMINISTRATIVE.contains(&a),
            _ => false,
        }
    }

    /// Whether the action only reads or views (`*.read`, `*.read_*`, `*.view`, `*_view`): such a check
    /// does not rename a request that something else named.
    pub fn only_reads(self) -> bool {
        let name = self.name();
        let verb = name.rsplit('.').next().unwrap_or("");
        verb == "read" || verb.starts_with("read_") || verb == "view" || verb.ends_with("_view")
    }

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
            Action::TrustRead => "trust.read".into(),
            Action::TrustManage => "trust.manage".into(),
            Action::CertificateManage => "certificate.manage".into(),
            Action::CertificateOwn => "certificate.own".into(),
            Action::CertificateView => "certificate.view".into(),
            Action::SearchReindex => "search.reindex".into(),
            Action::HelpRead => "help.read".into(),
            Action::Draft(a) => a.name().into(),
            Action::Calendar(a) => a.name().into(),
            Action::Poll(a) => a.name().into(),
            Action::Discussion(a) => a.name().into(),
            Action::Helpdesk(a) => a.name().into(),
            Action::AccountRequest(a) => a.name().into(),
            Action::Training(a) => a.name().into(),
            Action::Proposal(a) => a.name().into(),
            Action::Usage(a) => a.name().into(),
            Action::DirectorySync(a) => a.name().into(),
            Action::Plan(a) => a.name().into(),
            Action::Headcount(a) => a.name().into(),
            Action::Reminder(a) => a.name().into(),
            Action::Meeting(a) => a.name().into(),
            Action::Survey(a) => a.name().into(),
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
    /// A poll of the voting engine: everyone who holds or held a place in its electorate
    /// (members and substitutes), and the people watching it (initiator, secretary).
    Poll { electorate: &'a [u64], watchers: &'a [u64] },
    /// A discussion: its initiator (and their agency) and the working group's members.
    Discussion { initiator: u64, agency: u64, members: &'a [u64] },
    /// A request to the support service: its applicant, the applicant's agency, and who
    /// handles it (the assignee and the members of the team it is with).
    Ticket { applicant: u64, agency_id: u64, handlers: &'a [u64] },
    /// A request for a newcomer's account or a leaver's disabling, of an agency.
    AccountRequest { agency_id: u64 },
    /// A training request of an agency, with the trainees it names.
    Training { agency_id: u64, trainees: &'a [u64] },
    /// An improvement proposal and its author.
    Proposal { author: u64 },
    /// An action plan: the agency that posted it and the executor agencies of its items.
    Plan { owner: u64, executors: &'a [u64] },
    /// An item of a plan: the plan's owner, its responsible executor agency, the accounts
    /// that execute its tasks.
    PlanItem { owner: u64, responsible: u64, task_executors: &'a [u64] },
    /// A consolidated report on an item (§35–§37): who sees it depends on the signature.
    PlanReport { owner: u64, responsible: u64, author: u64, signed: bool },
    /// An agency's headcount return (I385 §26–§27). Which agencies return figures is no
    /// secret (every campaign lists them), so a refusal is a plain 403.
    HeadcountReturn { agency: u64 },
    /// An instruction under control (I385 §48–§51): its executor agency (`None` until the
    /// administrator maps the name the source gave) and the executor's account, if known.
    Reminder { agency: Option<u64>, executor: Option<u64> },
    /// A Government meeting: the officer responsible for it, its members, and everyone who
    /// reads it (members, invited persons, substitutes, the responsible officer).
    Meeting { responsible: u64, members: &'a [u64], readers: &'a [u64] },
    /// A survey: its author and their agency, whether it has been published (opened or
    /// scheduled) and who it asks.
    Survey { author: u64, agency: u64, published: bool, audience: SurveyAudience<'a> },
}

impl Object<'_> {
    /// The action that lets a person know the object exists at all, for objects whose
    /// existence is itself confidential; `None` for objects anyone signed in may know of
    /// (the appliance, agencies and accounts are in the directory). A new feature's object
    /// names its read action here (the match is exhaustive on purpose).
    pub fn revealed_by(self) -> Option<Action> {
        match self {
            Object::Appliance | Object::Agency(_) | Object::User { .. } => None,
            Object::Document { .. } => Some(Action::DocumentRead),
            Object::Draft { .. } => Some(Action::Draft(DraftAction::Read)),
            Object::Poll { .. } => Some(Action::Poll(PollAction::Read)),
            Object::Discussion { .. } => Some(Action::Discussion(DiscussionAction::Read)),
            Object::Ticket { .. } => Some(Action::Helpdesk(HelpdeskAction::Read)),
            Object::AccountRequest { .. } => {
                Some(Action::AccountRequest(AccountRequestAction::Read))
            }
            Object::Training { .. } => Some(Action::Training(TrainingAction::Read)),
            // Proposals are read by everyone (I617 §39–§41: the most wanted stand out).
            Object::Proposal { .. } => None,
            Object::Plan { .. } => Some(Action::Plan(PlanAction::Read)),
            Object::PlanItem { .. } | Object::PlanReport { .. } => None,
            Object::HeadcountReturn { .. } => None,
            Object::Reminder { .. } => Some(Action::Reminder(ReminderAction::Read)),
            Object::Meeting { .. } => Some(Action::Meeting(MeetingAction::Read)),
            Object::Survey { .. } => Some(Action::Survey(SurveyAction::Read)),
        }
    }

    pub(super) fn agency(self) -> Option<u64> {
        match self {
            Object::Appliance
            | Object::Poll { .. }
            | Object::Proposal { .. }
            | Object::Meeting { .. } => None,
            Object::Reminder { agency, .. } => agency,
            Object::Agency(id)
            | Object::Discussion { agency: id, .. }
            | Object::User { agency_id: id, .. }
            | Object::Document { agency_id: id, .. }
            | Object::Draft { developer: id, .. }
            | Object::Ticket { agency_id: id, .. }
            | Object::AccountRequest { agency_id: id }
            | Object::Training { agency_id: id, .. }
            | Object::Plan { owner: id, .. }
            | Object::PlanItem { owner: id, .. }
            | Object::PlanReport { owner: id, .. }
            | Object::HeadcountReturn { agency: id }
            | Object::Survey { agency: id, .. } => Some(id),
        }
    }
}

/// Roles an agency's HR officer may give within their own agency; the others are given by
/// the system administrator only.
pub(super) const AGENCY_ROLES: &[Role] =
    &[Role::Employee, Role::Head, Role::HrOfficer, Role::PlanResponsible, Role::Controller];

/// Checks the permission and names the operation in the access log. A check that only
/// reads names the request when nothing named it yet (the draft a page shows, not the
/// directory read that puts names on it); a check of an action that changes something
/// names it always (a plan's item is read, then a task assigned: the request assigns).
///
/// A refusal is `Error::forbidden()` (403) when the actor may know the object exists, and
/// `Error::not_found()` — exactly the answer for an id that does not exist — when the object
/// is confidential and hidden from them ([`require_visible`]). Either way the access log
/// records the request as `denied`.
pub fn require(actor: &Actor, action: Action, object: Object<'_>) -> Result<()> {
    let name = action.name();
    if action.only_reads() {
        actor.origin.name_operation_if_unnamed(&name);
    } else {
        actor.origin.set_operation(&name);
    }
    if decide(actor, action, object) {
        return Ok(());
    }
    require_visible(actor, object)?;
    Err(Error::forbidden())
}

/// Existence not revealed: a confidential object (a document, a draft, any object whose
/// [`Object::revealed_by`] names an action) that the actor may not read answers
/// `not_found`, the same code, status and body as an id that does not exist, so ids of other
/// agencies cannot be counted. The refusal is still marked on the request, and its
/// access-log entry says `denied` (with the status the person saw).
///
/// Services call it directly where they answer something other than the object itself
/// before [`require`] — e.g. "destroyed" (410) for a tombstone — so that answer, too, goes
/// only to those who may know the object.
pub fn require_visible(actor: &Actor, object: Object<'_>) -> Result<()> {
    match object.revealed_by() {
        Some(read) if !decide(actor, read, object) => {
            actor.origin.name_operation_if_unnamed(&read.name());
            actor.origin.mark_concealed_denial();
            Err(Error::not_found())
        }
        _ => Ok(()),
    }
}

/// The principal terms a search by `user` may match (access control inside the query,
/// I385 §6.6), agreeing with [`Action::DocumentRead`]: a participant's terms
/// ([`crate::portal::documents::model::principals_of`]); for someone holding administrative
/// roles only, just their own (documents they wrote or that name them).
pub fn search_principals(user: &UserIdentity) -> Vec<String> {
    if duties::holds_standalone(user.roles) {
        Vec::new()
    } else if is_participant(user) {
        crate::portal::documents::model::principals_of(user)
    } else {
        vec![format!("user:{}", user.id)]
    }
}

/// Whether the actor may perform the action; pure.
pub fn decide(actor: &Actor, action: Action, object: Object<'_>) -> bool {
    match &actor.who {
        Who::User(user) => decide_user(user, action, object),
        // The operator holds the machine; everything administrative, no work on documents
        // or workflows, and nothing that acts on an own account (the operator has none).
        Who::Operator { .. } => !is_own_account_action(action) && action.is_administrative(),
        // Background jobs use explicitly named service functions, not user actions.
        Who::System(_) => false,
        Who::Anonymous => false,
    }
}

/// Whether the person works with documents at all: holds a role, and none that must stand
/// alone.
pub(super) fn is_participant(user: &UserIdentity) -> bool {
    !duties::holds_standalone(user.roles) && user.roles.iter().next().is_some()
}

/// Actions a person takes on their own account only.
fn is_own_account_action(action: Action) -> bool {
    matches!(action, Action::ProfileEditOwn | Action::CertificateOwn)
}

fn decide_user(user: &UserIdentity, action: Action, object: Object<'_>) -> bool {
    if !duties::permits(user.roles, action) {
        return false;
    }
    if documents::governs(action) {
        documents::decide(user, action, object)
    } else if let Action::Draft(a) = action {
        drafts::decide(user, a, object)
    } else if let Action::Calendar(a) = action {
        calendar::decide(user, a, object)
    } else if let Action::Helpdesk(a) = action {
        helpdesk::decide(user, a, object)
    } else if let Action::AccountRequest(a) = action {
        account_requests::decide(user, a, object)
    } else if let Action::Training(a) = action {
        trainings::decide(user, a, object)
    } else if let Action::Proposal(a) = action {
        proposals::decide(user, a, object)
    } else if let Action::Usage(a) = action {
        usage::decide(user, a, object)
    } else if let Action::DirectorySync(a) = action {
        directory_sync::decide(user, a, object)
    } else if let Action::Plan(a) = action {
        plans::decide(user, a, object)
    } else if let Action::Headcount(a) = action {
        headcount::decide(user, a, object)
    } else if let Action::Reminder(a) = action {
        reminders::decide(user, a, object)
    } else if let Action::Meeting(a) = action {
        meetings::decide(user, a, object)
    } else if let Action::Survey(a) = action {
        surveys::decide(user, a, object)
    } else {
        match action {
            Action::Draft(a) => drafts::decide(user, a, object),
            Action::Calendar(a) => calendar::decide(user, a, object),
            Action::Poll(a) => polls::decide(user, a, object),
            Action::Discussion(a) => discussions::decide(user, a, object),
            _ => administration::decide(user, action, object),
        }
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::actor::{Origin, UserIdentity};
    use crate::auth::roles::RoleSet;

    pub(super) fn user(agency_id: u64, roles: &[Role]) -> Actor {
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
    pub(super) fn check(roles: &[Role], action: Action, object: Object, expected: bool) {
        let actor = user(1, roles);
        assert_eq!(decide(&actor, action, object), expected, "{roles:?} {action:?} {object:?}");
    }

    #[test]
    fn reading_checks_do_not_rename_what_a_request_does() {
        let reads: Vec<String> =
            Action::all().into_iter().filter(|a| a.only_reads()).map(Action::name).collect();
        for name in
            ["directory.read", "document.read", "draft.read", "plan.read", "user.admin_view"]
        {
            assert!(reads.iter().any(|r| r == name), "{name} reads: {reads:?}");
        }
        for action in [
            Action::Plan(PlanAction::Review),
            Action::Plan(PlanAction::Assign),
            Action::DocumentCreate,
            Action::MaintenanceSchedule,
        ] {
            assert!(!action.only_reads(), "{action:?} changes something");
        }
        let actor = user(1, &[Role::Employee]);
        let plan = Object::Plan { owner: 1, executors: &[] };
        let _ = require(&actor, Action::Plan(PlanAction::Read), plan);
        let _ = require(&actor, Action::DirectoryRead, Object::Appliance);
        assert_eq!(actor.origin.operation().as_deref(), Some("plan.read"));
        let _ = require(&actor, Action::Plan(PlanAction::Assign), plan);
        let _ = require(&actor, Action::DirectoryRead, Object::Appliance);
        assert_eq!(actor.origin.operation().as_deref(), Some("plan.assign"));
    }

    #[test]
    fn operator_administers_but_anonymous_and_jobs_get_nothing() {
        let operator =
            Actor { who: Who::Operator { os_user: "root".into() }, origin: Origin::system("t") };
        let anonymous = Actor { who: Who::Anonymous, origin: Origin::system("t") };
        let everyone = AccessRule::everyone();
        let doc = Object::Document { agency_id: 5, author_id: 1, access: &everyone };
        for action in &Action::all() {
            assert!(!decide(&anonymous, *action, Object::Appliance));
            assert!(!decide(&anonymous, *action, doc));
            if !action.is_administrative() {
                assert!(!decide(&operator, *action, doc), "the operator never reads documents");
            }
            assert_eq!(
                decide(&operator, *action, Object::Agency(5)),
                !is_own_account_action(*action) && action.is_administrative(),
                "{action:?}"
            );
        }
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

    /// A.11: an object the person may not read is refused exactly like a missing one, and
    /// the refusal is still marked as a denial for the access log.
    #[test]
    fn confidential_objects_the_person_may_not_read_answer_not_found() {
        use crate::error::Code;
        let foreign = AccessRule::whole_agency(2);
        let own = AccessRule::whole_agency(1);
        let cases = [
            (
                Action::DocumentRead,
                Object::Document { agency_id: 2, author_id: 9, access: &foreign },
                Some(Code::NotFound),
            ),
            (
                Action::DocumentEdit,
                Object::Document { agency_id: 2, author_id: 9, access: &foreign },
                Some(Code::NotFound),
            ),
            // Readable but not editable: the person knows it exists, so 403.
            (
                Action::DocumentEdit,
                Object::Document { agency_id: 1, author_id: 9, access: &own },
                Some(Code::Forbidden),
            ),
            (
                Action::DocumentRead,
                Object::Document { agency_id: 1, author_id: 9, access: &own },
                None,
            ),
            (
                Action::Draft(DraftAction::Read),
                Object::Draft { developer: 2, approving: &[3], voters: &[] },
                Some(Code::NotFound),
            ),
            (
                Action::Draft(DraftAction::Approve),
                Object::Draft { developer: 1, approving: &[3], voters: &[] },
                Some(Code::Forbidden),
            ),
            // Objects in the directory are no secret.
            (Action::UserEdit, Object::User { id: 99, agency_id: 2 }, Some(Code::Forbidden)),
            (Action::AgencyManage, Object::Appliance, Some(Code::Forbidden)),
        ];
        for (action, object, expected) in cases {
            let actor = user(1, &[Role::Employee]);
            let result = require(&actor, action, object);
            assert_eq!(result.as_ref().err().map(|e| e.code), expected, "{action:?} {object:?}");
            assert_eq!(
                actor.origin.is_concealed_denial(),
                expected == Some(Code::NotFound),
                "{action:?} {object:?}"
            );
            assert_eq!(actor.origin.operation(), Some(action.name()), "the attempt is named");
        }
    }

    #[test]
    fn require_names_the_operation_even_when_denied() {
        let actor = user(1, &[Role::Employee]);
        assert!(require(&actor, Action::AgencyManage, Object::Appliance).is_err());
        assert_eq!(actor.origin.operation().as_deref(), Some("agency.manage"));
    }
}
