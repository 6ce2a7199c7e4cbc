//! Separation of duties (A.1, A.11, I385 §61): the one place that says which roles must
//! stand alone and what that means.
//!
//! **The rule.** A role that must stand alone — the system administrator, the user-support
//! administrator and the auditor ([`STANDALONE`]) — is the *only* role of the account that
//! holds it. Whoever runs the appliance or audits it does their own document and workflow
//! work under a second, separate account.
//!
//! **Where it holds.**
//! - At grant time: every way of giving roles (API, pages, CLI, demo) goes through
//!   `directory::service::{create_user, set_roles}`, which call [`check_grant`]; a refused
//!   combination is `invalid_input` on the field `roles` with a translated message naming
//!   the role that must stand alone.
//! - In every decision: an account that holds a standalone role is given no action that is
//!   not administrative ([`super::Action::is_administrative`]) — not even on a document
//!   naming it, and whatever else it holds. So an account in an older database that still
//!   combines, say, `system_admin` with `employee` keeps its administration (to mend it)
//!   but reads no document and takes no workflow step until its roles are corrected;
//!   `ipgo verify` and the server's start-up name every such account ([`conflict`]).
//!
//! **New features.** Work on documents and workflows is the default: every feature's
//! action is a workflow action unless the feature's policy file lists it in its
//! `ADMINISTRATIVE` slice and `Action::is_administrative` consults that slice. A new
//! feature therefore needs nothing to keep administrators and auditors out of it.

use super::Action;
use crate::auth::roles::{Role, RoleSet};
use crate::error::{Error, Result};

/// Roles that must be an account's only role.
pub const STANDALONE: &[Role] =
    &[Role::SystemAdmin, Role::SupportAdmin, Role::Auditor, Role::Connector];

pub fn stands_alone(role: Role) -> bool {
    STANDALONE.contains(&role)
}

/// Whether the roles include one that must stand alone.
pub fn holds_standalone(roles: RoleSet) -> bool {
    roles.iter().any(stands_alone)
}

/// The first way the roles break the rule: a role that must stand alone and another role
/// held with it.
pub fn conflict(roles: RoleSet) -> Option<(Role, Role)> {
    let alone = roles.iter().find(|r| stands_alone(*r))?;
    roles.iter().find(|r| *r != alone).map(|other| (alone, other))
}

/// Refuses a set of roles that breaks the rule, naming the role that must stand alone.
pub fn check_grant(roles: &[Role]) -> Result<()> {
    match conflict(roles.iter().copied().collect()) {
        None => Ok(()),
        Some((alone, other)) => Err(Error::invalid("roles", message_key(alone))
            .with_detail(format!("{} + {}", alone.name(), other.name()))),
    }
}

/// Whether a role-holder may take the action at all: an account holding a standalone role
/// takes administrative actions only.
pub(super) fn permits(roles: RoleSet, action: Action) -> bool {
    action.is_administrative() || !holds_standalone(roles)
}

/// The Fluent message (file `security.ftl`) explaining why the role must stand alone.
pub fn message_key(role: Role) -> &'static str {
    match role {
        Role::SystemAdmin => "roles-stand-alone-system-admin",
        Role::SupportAdmin => "roles-stand-alone-support-admin",
        Role::Auditor => "roles-stand-alone-auditor",
        Role::Connector => "roles-stand-alone-connector",
        _ => "roles-stand-alone",
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::user;
    use super::super::{DraftAction, Object, decide};
    use super::*;
    use crate::portal::documents::model::AccessRule;

    /// Access rules for [`Rules::objects`].
    struct Rules {
        everyone: AccessRule,
        agency: AccessRule,
        named: AccessRule,
    }

    impl Rules {
        fn new() -> Rules {
            Rules {
                everyone: AccessRule::everyone(),
                agency: AccessRule::whole_agency(1),
                named: AccessRule { users: vec![10], ..Default::default() },
            }
        }

        /// Objects on which a participant of agency 1 (user id 10) could act in every way
        /// the policy knows: their own document, a document naming them, one open to
        /// everyone, their agency's, and drafts where their agency develops or approves and
        /// they vote.
        fn objects(&self) -> Vec<Object<'_>> {
            vec![
                Object::Appliance,
                Object::Agency(1),
                Object::User { id: 10, agency_id: 1 },
                Object::User { id: 11, agency_id: 1 },
                Object::Document { agency_id: 1, author_id: 10, access: &self.agency },
                Object::Document { agency_id: 1, author_id: 11, access: &self.agency },
                Object::Document { agency_id: 2, author_id: 11, access: &self.everyone },
                Object::Document { agency_id: 2, author_id: 11, access: &self.named },
                Object::Draft { developer: 1, approving: &[2], voters: &[10] },
                Object::Draft { developer: 2, approving: &[1], voters: &[10] },
            ]
        }
    }

    /// Every pair of roles (and every role alone) against the whole policy: a pair is
    /// refused exactly when it holds a standalone role beside another; and an account
    /// holding a standalone role — alone or, from an older database, combined — gets no
    /// document or workflow action on any object, while its administrative actions are
    /// exactly those of the roles it holds.
    #[test]
    fn every_pair_of_roles_against_the_policy_table() {
        let rules = Rules::new();
        let objects = rules.objects();
        for &a in Role::ALL {
            for &b in Role::ALL {
                let pair: Vec<Role> = if a == b { vec![a] } else { vec![a, b] };
                let refused = a != b && (stands_alone(a) || stands_alone(b));
                assert_eq!(check_grant(&pair).is_err(), refused, "{pair:?}");
                let actor = user(1, &pair);
                for action in Action::all() {
                    for object in &objects {
                        let allowed = decide(&actor, action, *object);
                        if holds_standalone(pair.iter().copied().collect())
                            && !action.is_administrative()
                        {
                            assert!(!allowed, "{pair:?} may {action:?} on {object:?}");
                        }
                        if refused && action.is_administrative() {
                            // Administration of a combined account stays (to mend it).
                            let alone = decide(&user(1, &[a]), action, *object)
                                || decide(&user(1, &[b]), action, *object);
                            assert_eq!(allowed, alone, "{pair:?} {action:?} {object:?}");
                        }
                    }
                }
            }
        }
    }

    /// The rule does not hollow out the participants: each role that does not stand alone
    /// does some document or workflow work (else it should be marked standalone), and each
    /// standalone role has some administrative right beyond what everyone has.
    #[test]
    fn participant_roles_work_and_standalone_roles_administer() {
        let rules = Rules::new();
        let objects = rules.objects();
        for &role in Role::ALL {
            let actor = user(1, &[role]);
            let works = Action::all().into_iter().any(|action| {
                !action.is_administrative() && objects.iter().any(|o| decide(&actor, action, *o))
            });
            let administers = Action::all().into_iter().any(|action| {
                action.is_administrative()
                    && !matches!(
                        action,
                        Action::DirectoryRead
                            | Action::TrustRead
                            | Action::HelpRead
                            | Action::ProfileEditOwn
                            | Action::CertificateOwn
                            | Action::CertificateView
                    )
                    && objects.iter().any(|o| decide(&actor, action, *o))
            });
            if stands_alone(role) {
                assert!(!works && administers, "{role:?}");
            } else {
                assert!(works, "{role:?} does no work");
            }
        }
        assert!(!Action::Draft(DraftAction::Read).is_administrative());
    }

    #[test]
    fn every_standalone_role_explains_itself_in_every_language() {
        let i18n = crate::i18n::I18n::load();
        for lang in crate::i18n::LANGS {
            for role in STANDALONE {
                assert_ne!(message_key(*role), "roles-stand-alone", "{role:?} has its own text");
                assert!(i18n.has(lang, message_key(*role)), "{lang}: {}", message_key(*role));
            }
        }
    }
}
