//! Sign-in against the agencies' directories (I617 §20–§21): the system administrator
//! sees the configured directories and their synchronisation runs, starts a run and
//! changes a directory's settings; the operator does the same from the command line.

use super::Object;
use crate::actor::UserIdentity;
use crate::auth::roles::Role;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DirectorySyncAction {
    /// See the directories, their reachability and the synchronisation runs.
    View,
    /// Synchronise names, positions and departments now.
    Run,
    /// Change a directory's settings on the settings page.
    Edit,
}

pub(super) const ADMINISTRATIVE: &[DirectorySyncAction] = DirectorySyncAction::ALL;

impl DirectorySyncAction {
    pub const ALL: &'static [DirectorySyncAction] =
        &[DirectorySyncAction::View, DirectorySyncAction::Run, DirectorySyncAction::Edit];

    /// The operation name recorded in the access log.
    pub fn name(self) -> &'static str {
        match self {
            DirectorySyncAction::View => "ldap.view",
            DirectorySyncAction::Run => "ldap.sync",
            DirectorySyncAction::Edit => "ldap.edit",
        }
    }
}

pub(super) fn decide(
    user: &UserIdentity,
    _action: DirectorySyncAction,
    object: Object<'_>,
) -> bool {
    object == Object::Appliance && user.roles.contains(Role::SystemAdmin)
}

#[cfg(test)]
mod tests {
    use super::super::Action;
    use super::*;

    #[test]
    fn directory_sync_policy_table() {
        for role in Role::ALL {
            for action in DirectorySyncAction::ALL {
                super::super::tests::check(
                    &[*role],
                    Action::DirectorySync(*action),
                    Object::Appliance,
                    *role == Role::SystemAdmin,
                );
            }
        }
    }
}
