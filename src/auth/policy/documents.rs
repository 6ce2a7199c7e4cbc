//! Documents (I385 §6.2–§6.8): who posts, reads, edits, comments on and destroys them.

use super::{Action, Object, is_participant};
use crate::actor::UserIdentity;
use crate::auth::roles::Role;

/// Whether this file decides the action.
pub(super) fn governs(action: Action) -> bool {
    matches!(
        action,
        Action::DocumentCreate
            | Action::DocumentRead
            | Action::DocumentEdit
            | Action::DocumentComment
            | Action::DocumentDestroy
    )
}

pub(super) fn decide(user: &UserIdentity, action: Action, object: Object<'_>) -> bool {
    let has = |role| user.roles.contains(role);
    let own_agency = object.agency() == Some(user.agency_id);
    match action {
        Action::DocumentCreate => own_agency && (has(Role::Employee) || has(Role::Head)),
        // Roles that must stand alone read no documents (`duties.rs` refuses them before
        // this file is asked); a participant reads what the rule admits.
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
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::check;
    use super::*;
    use crate::portal::documents::model::AccessRule;

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
        // Separation of duties: not when combined (an older database), not when named.
        check(&[Role::SystemAdmin, Role::Employee], Action::DocumentRead, public, false);
        let named = AccessRule { users: vec![10], ..Default::default() };
        let grant = Object::Document { agency_id: 2, author_id: 99, access: &named };
        check(&[Role::SystemAdmin], Action::DocumentRead, grant, false);
        check(&[Role::Employee], Action::DocumentRead, grant, true);
        check(&[Role::Employee], Action::DocumentEdit, colleagues, false);
        check(&[Role::Head], Action::DocumentEdit, colleagues, true);
        check(&[Role::Employee], Action::DocumentDestroy, mine, true);
        check(&[Role::Employee], Action::DocumentDestroy, colleagues, false);
        check(&[Role::Head], Action::DocumentDestroy, colleagues, true);
        check(&[Role::Head], Action::DocumentDestroy, foreign, false);
    }
}
